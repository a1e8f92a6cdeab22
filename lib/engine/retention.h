// Retention and erasure (README, "Retention and RGPD"): which requests are past the retention the
// configuration sets, their purge into anonymous tombstones (store/purge.h), and the audit.
//
// One request per transaction: a purge killed half-way leaves every request either whole or a
// tombstone, and the next run finishes the rest. Each purged request gets a `purged` event (the
// rule or the justification, the actor); each run that purged something one `purge` event of its
// own (no request), with the counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "calendar/calendar.h"
#include "config/config.h"
#include "store/purge.h"
#include "store/store.h"

namespace guichet::engine {

struct RetentionPolicy {
  std::optional<calendar::Delay> closed, machine;
  std::string closed_text, machine_text;  // as the configuration writes them: "5 ans"
  calendar::Region region = calendar::Region::metropole;

  // From `retention:` (validated when the configuration was read).
  static RetentionPolicy of(const config::Config& config, calendar::Region region);
  bool any() const { return closed || machine; }
};

struct PurgeItem {
  std::int64_t id = 0;
  std::string reference;
  std::string kind;        // request | machine
  std::int64_t since = 0;  // closed (a request) or received (machine mail) at
  std::string rule;        // "closed: 5 ans"
};

struct PurgeRun {
  std::vector<PurgeItem> items;  // purged, or due (a dry run)
  store::PurgeOutcome total;
  bool finished = true;  // false: `limit` stopped it; the rest is for the next run
};

// What is past retention at `now`, oldest first: closed requests closed before the day the
// retention ends, machine mail received before it (merged requests follow their target).
Result<std::vector<PurgeItem>> due_for_purge(store::Store& store, const RetentionPolicy& policy, std::int64_t now);

// Purges what is due (at most `limit` requests when limit > 0). With `dry_run`, says what would go.
Result<PurgeRun> run_purge(store::Store& store, const RetentionPolicy& policy, std::int64_t now,
                           const std::string& actor, bool dry_run, std::size_t limit = 0);

// A justified erasure of one request (RGPD art. 17), whatever its age: in its own transaction,
// audited with `justification`. Errc::usage when it is already a tombstone; Errc::data when it
// is still open and `even_open` is false (its deadlines would be lost with it).
Result<store::PurgeOutcome> erase_request(store::Store& store, const store::RequestInfo& request,
                                          const std::string& justification, const std::string& actor, bool even_open,
                                          std::int64_t now);

// `serve`'s daily purge: on the first call of each of the commune's days (kept in `settings`),
// `limit` requests at a time until nothing is due. nullopt when there was nothing to do.
Result<std::optional<PurgeRun>> daily_purge(store::Store& store, const RetentionPolicy& policy, std::int64_t now,
                                            std::size_t limit);

}  // namespace guichet::engine
