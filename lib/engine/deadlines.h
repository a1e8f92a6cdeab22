// Nothing waits unseen (README, "Deadlines"): the deadline scanner and the daily digest.
//
// For every request that is not closed, on the French working-day calendar and each department's
// settings (directory: response_target, remind_before, escalate_after):
//   - the response target: a reminder to the agent `remind_before` it (until it passes), the
//     department's head told once it passed, the pilot and the department's `escalation`
//     addresses `escalate_after` later;
//   - the full acknowledgement owed ten working days after receipt when only the registration
//     receipt went out (R112-11-2): the agent reminded on working day 7, the head on day 9;
//   - the deemed-decision date: the head and the pilot told two weeks and three working days
//     before; on the day, the implicit decision is recorded (event decision_implicite) and the
//     agent and the head are told;
//   - a request nobody can take (no agent, or an absent one without backup): the head at once,
//     the pilot a working day later.
// A resident's relance tells the agent and the head at once (relance_alert, at ingest).
//
// Every reminder is a row keyed (request, kind, level, due date) written in the same transaction
// as its mail (schema 0006, `reminders`): a rerun, a restart, a second daemon or a clock that went
// back never sends one twice, and a daemon that was down sends what is owed once. What became owed
// before guichet learned of the request (an import of old mail) is history: never reminded. Each
// is computed from the request's row and the date only (owed_for), so it is tested as a table.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "directory/directory.h"
#include "engine/options.h"
#include "store/store.h"

namespace guichet::engine {

struct Recipient {
  std::string address, name;
  const directory::Agent* agent = nullptr;  // an agent gets a reply token: they can answer at once
};

struct Owed {
  std::string kind;  // response_reminder | response_escalation | full_ack | deemed_alert | decision | no_owner
  int level = 0;     // 0 the agent, 1 the head, 2 the pilot (and escalation addresses)
  std::string due_on;  // the deadline it is about, YYYY-MM-DD: part of the key
  const char* template_name = "";
  store::OutboxKind outbox_kind = store::OutboxKind::reminder;
  std::vector<Recipient> to;
  std::string subject;
  int days_late = 0;
  // A deadline that had passed before guichet learned of the request (an imported history) is
  // not reminded; an implicit decision reached then is recorded without mail.
  bool silent = false;
};

// Who the agent, the head and the pilot of a request are, as addresses.
std::vector<Recipient> agent_of(const store::RequestInfo& r, const directory::Directory& dir);
std::vector<Recipient> head_of(const store::RequestInfo& r, const directory::Directory& dir);
std::vector<Recipient> pilot_of(const directory::Directory& dir, const directory::Department* also = nullptr);

// What `r` is owed on `today` (the commune's date), whether or not it was sent already.
std::vector<Owed> owed_for(const store::RequestInfo& r, const directory::Directory& dir, calendar::Region region,
                           calendar::Date today);

struct DeadlineRun {
  int reminders = 0;  // rows written, each with its mail(s)
  int mails = 0;
  int decisions = 0;  // implicit decisions recorded
  int digests = 0;
  std::vector<std::string> lines;  // one per reminder or digest: what was (or would be) done
};

// Writes every reminder owed at `now` that was not written yet, with its mails. `dry_run`: says
// what it would do and writes nothing. Runs in transactions of its own (one per request owed).
Result<DeadlineRun> run_deadlines(store::Store& store, const IngestOptions& options, std::int64_t now, bool dry_run);

// At ingest, in the mail's transaction: a resident chases (their relance n° `r.relances`).
Result<void> relance_alert(store::Store& store, const store::RequestInfo& r, const IngestOptions& options,
                           std::int64_t now);

// The daily digest (template `digest`), to each department head (their service), the pilot and
// the élus (the whole commune, or their departments and tags): late, due today and tomorrow,
// relanced, without answer for more than `unanswered_days`, new since yesterday.
struct Digest {
  Recipient to;
  std::string scope;  // "du service urbanisme", "de la commune"
  std::string text;
  int count = 0;      // requests it lists
};
// Each list shows its first defaults::digest_list_max requests (the latest, the most chased, the
// longest unanswered first) and says how many more there are. Only the digests of the
// recipients `wanted` accepts (all, without it) are composed.
Result<std::vector<Digest>> compose_digests(store::Store& store, const IngestOptions& options,
                                            const config::Deadlines& deadlines, std::int64_t now,
                                            const std::function<bool(const Recipient&)>& wanted = {});
// Sends today's digests that were not sent yet, on working days from `digest_at` on (caught up
// later the same day if the daemon was down at that hour).
Result<DeadlineRun> send_digests(store::Store& store, const IngestOptions& options, const config::Deadlines& deadlines,
                                 std::int64_t now, bool dry_run);

}  // namespace guichet::engine
