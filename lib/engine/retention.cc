// Retention and erasure (engine/retention.h).
#include "engine/retention.h"

#include <csignal>

#include <nlohmann/json.hpp>

#include "util/failpoint.h"
#include "util/json.h"
#include "util/local_time.h"

namespace guichet::engine {

namespace {

// The first moment still kept: midnight (the commune's) of the day `delay` before today. A request
// closed on 3 December 2021 is kept through 3 December 2026 with "5 ans", purged the day after.
std::int64_t kept_from(std::int64_t now, const calendar::Delay& delay, calendar::Region region) {
  const calendar::Date cut = calendar::before(calendar::local_date(now), delay, region);
  return from_local(cut.year, cut.month, cut.day);
}

nlohmann::json outcome_json(const store::PurgeOutcome& o) {
  return {{"messages", o.messages},
          {"bytes", o.bytes},
          {"attachments", o.attachments},
          {"blobs", o.blobs},
          {"outbox", o.outbox}};
}

// One request into a tombstone, with its event, in one transaction.
Result<store::PurgeOutcome> purge_one(store::Store& store, std::int64_t id, const nlohmann::json& why,
                                      const std::set<std::string>& shared_topics, const std::string& actor,
                                      std::int64_t now) {
  auto tx = store.transaction();
  if (!tx) return tx.error();
  auto done = store::purge_request(store.database(), id, now, shared_topics);
  if (!done) return done.error();
  nlohmann::json detail = why;
  detail["removed"] = outcome_json(*done);
  if (auto e = store.add_event(id, std::nullopt, now, actor, "purged", dump_json(detail)); !e) return e.error();
  // A kill here must leave the request whole: nothing of the transaction is on disk yet.
  if (failpoint_active("purge.before_commit")) raise(SIGKILL);
  if (auto c = tx->commit(); !c) return c.error();
  return *done;
}

}  // namespace

RetentionPolicy RetentionPolicy::of(const config::Config& config, calendar::Region region) {
  RetentionPolicy p;
  p.region = region;
  if (!config.retention.closed.empty())
    if (auto d = calendar::Delay::parse(config.retention.closed)) {
      p.closed = *d;
      p.closed_text = config.retention.closed;
    }
  if (!config.retention.machine.empty())
    if (auto d = calendar::Delay::parse(config.retention.machine)) {
      p.machine = *d;
      p.machine_text = config.retention.machine;
    }
  return p;
}

Result<std::vector<PurgeItem>> due_for_purge(store::Store& store, const RetentionPolicy& policy, std::int64_t now) {
  std::optional<std::int64_t> closed_before, machine_before;
  if (policy.closed) closed_before = kept_from(now, *policy.closed, policy.region);
  if (policy.machine) machine_before = kept_from(now, *policy.machine, policy.region);
  auto found = store::purge_candidates(store.database(), closed_before, machine_before);
  if (!found) return found.error();
  std::vector<PurgeItem> out;
  for (const auto& c : *found) {
    const bool machine = c.kind == "machine";
    out.push_back({c.id, c.reference, c.kind, c.since,
                   machine ? "machine: " + policy.machine_text : "closed: " + policy.closed_text});
  }
  return out;
}

Result<PurgeRun> run_purge(store::Store& store, const RetentionPolicy& policy, std::int64_t now,
                           const std::string& actor, bool dry_run, std::size_t limit) {
  PurgeRun run;
  auto due = due_for_purge(store, policy, now);
  if (!due) return due.error();
  if (limit > 0 && due->size() > limit) {
    due->resize(limit);
    run.finished = false;
  }
  if (dry_run) {
    run.items = std::move(*due);
    return run;
  }
  const store::SecureDelete zeroing(store.database());
  if (!zeroing.started()) return zeroing.started().error();
  // The digests and alerts of that time list residents too; they go with the closed requests.
  if (policy.closed) {
    auto loose = store::purge_loose_outbox(store.database(), kept_from(now, *policy.closed, policy.region));
    if (!loose) return loose.error();
    run.total.outbox += *loose;
  }
  // Nothing due and nothing blanked: no audit event, no compaction (the daily pass is cheap).
  if (due->empty() && run.total.outbox == 0) return run;
  std::vector<std::int64_t> ids;
  for (const auto& item : *due) ids.push_back(item.id);
  auto shared = store::shared_subject_keys(store.database(), ids);
  if (!shared) return shared.error();
  for (const auto& item : *due) {
    auto done = purge_one(store, item.id, {{"reason", "retention"}, {"rule", item.rule}}, *shared, actor, now);
    if (!done) return Error{done.error().code, item.reference + ": " + done.error().message};
    run.total += *done;
    run.items.push_back(item);
    if (failpoint_active("purge.after_commit")) raise(SIGKILL);
  }
  // The run itself, for the audit: who purged how much under which rules.
  auto tx = store.transaction();
  if (!tx) return tx.error();
  nlohmann::json detail{{"requests", run.items.size()},
                        {"removed", outcome_json(run.total)},
                        {"closed", policy.closed_text},
                        {"machine", policy.machine_text}};
  if (auto e = store.add_event(std::nullopt, std::nullopt, now, actor, "purge", dump_json(detail)); !e)
    return e.error();
  if (auto c = tx->commit(); !c) return c.error();
  if (auto r = store::compact_after_purge(store.database()); !r) return r.error();
  return run;
}

Result<store::PurgeOutcome> erase_request(store::Store& store, const store::RequestInfo& request,
                                          const std::string& justification, const std::string& actor, bool even_open,
                                          std::int64_t now) {
  if (request.purged_at)
    return Error{Errc::usage, request.reference + " holds no personal data any more (purged on " +
                                  format_local(*request.purged_at) + ")"};
  if (request.merged_into)
    return Error{Errc::usage, request.reference + " was merged into " + *request.merged_into +
                                  ": its mail is there; erase " + *request.merged_into};
  if (request.status != store::RequestStatus::closed && !even_open)
    return Error{Errc::data, request.reference + " is still " + store::name(request.status) +
                                 ": close it first, or give --even-open (its deadlines go with it)"};
  const store::SecureDelete zeroing(store.database());
  if (!zeroing.started()) return zeroing.started().error();
  auto shared = store::shared_subject_keys(store.database(), {request.id});
  if (!shared) return shared.error();
  auto done =
      purge_one(store, request.id, {{"reason", "erasure"}, {"justification", justification}}, *shared, actor, now);
  if (!done) return done.error();
  if (auto r = store::compact_after_purge(store.database()); !r) return r.error();
  return *done;
}

Result<std::optional<PurgeRun>> daily_purge(store::Store& store, const RetentionPolicy& policy, std::int64_t now,
                                            std::size_t limit) {
  if (!policy.any()) return std::optional<PurgeRun>();
  const std::string today = calendar::local_date(now).iso();
  auto last = store.setting("purge_last_day");
  if (!last) return last.error();
  if (*last && **last == today) return std::optional<PurgeRun>();
  auto run = run_purge(store, policy, now, "guichet", false, limit);
  if (!run) return run.error();
  if (run->finished) {
    auto tx = store.transaction();
    if (!tx) return tx.error();
    if (auto r = store.put_setting("purge_last_day", today); !r) return r.error();
    if (auto c = tx->commit(); !c) return c.error();
  }
  if (run->items.empty()) return std::optional<PurgeRun>();
  return std::optional<PurgeRun>(std::move(*run));
}

}  // namespace guichet::engine
