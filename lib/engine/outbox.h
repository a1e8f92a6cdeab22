// What guichet sends, and when it must not (RFC 3834), and the drainer that sends it.
//
// Mail is composed completely and queued in the transaction of the decision that caused it
// (queue_for_new_request, called by ingest); drain() sends what is due, one mail at a time, and
// records each outcome: sent; 4xx or a network error: retried with exponential backoff and jitter
// until the retry horizon, then failed; 5xx: failed at once. A failed resident mail is recorded on
// its request and reported to the service (the mailbox it was sent from).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/options.h"
#include "engine/route.h"
#include "engine/setup.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "store/store.h"
#include "transport/sender.h"
#include "util/backoff.h"
#include "util/clock.h"

namespace guichet::engine {

// Why `m` must get no automatic answer, or nullopt when it may: automatic, bounce or list mail,
// a null sender, machine addresses (mailer-daemon, postmaster, no-reply, ne-pas-répondre…), the
// town's own addresses (`own`, lower-case), or our own loop marker.
std::optional<std::string> machine_reason(const mail::Message& m, const std::vector<std::string>& own);
// The part of machine_reason() that says a machine wrote it (out-of-office, bounce, list, null
// sender, a no-reply address): such mail that threads nowhere is kept apart, not a request.
std::optional<std::string> automatic_reason(const mail::Message& m);

// After a new request was created (same transaction): queues its acknowledgement to the resident
// (unless the rule says not to, the mail came from a machine, or the per-address limit is
// reached: then an event records why) and the notification to its agent.
struct NewRequestMail {
  std::int64_t request_id = 0;
  std::string reference;
  std::int64_t arrived = 0;
  bool promoted = false;  // machine mail a person made a request: its agent hears of it anyway
  // A call, a visit or a letter recorded by this agent (engine/intake.h): when the resident gave no
  // address, the acknowledgement goes to the agent, to print, post or read out.
  const directory::Agent* hand_to = nullptr;
  std::string channel = "email";  // store::name(Channel): the acknowledgement says "votre appel"…
};
// "par téléphone", "au guichet", "par courrier", "par courriel": how a request of that channel
// (store::name(Channel)) came, as letters to agents say it.
const char* received_words(const std::string& channel);

Result<void> queue_for_new_request(store::Store& store, const mail::Message& m, const Routed& routed,
                                   const NewRequestMail& request, const IngestOptions& options, std::int64_t now);

// Composes `out` (a new Message-ID on the sender's domain unless it has one, the Date, the X-Loop
// marker) and queues it in the caller's transaction (or holds it: `status` held); 4xx answers are
// retried for `retry_hours`. The one way mail enters the outbox.
struct Queued {
  std::string message_id;
  std::optional<std::int64_t> outbox_id;  // nullopt: refused as a second acknowledgement
};
Result<Queued> queue_mail(store::Store& store, store::OutboxKind kind, std::optional<std::int64_t> request_id,
                          mail::Outgoing out, int retry_hours, std::int64_t now,
                          store::OutboxStatus status = store::OutboxStatus::queued);

struct DrainStats {
  int sent = 0, retried = 0, failed = 0, cancelled = 0;
};

struct DrainOptions {
  const templates::TemplateSet* templates = nullptr;  // the failure notice's
  std::string commune;
  int retry_hours = defaults::retry_hours;  // of the failure notice itself
  Backoff backoff{defaults::outbox_backoff_first_seconds, defaults::outbox_backoff_max_seconds};
};
DrainOptions drain_options(const Setup& setup);

// Sends what is due (at most `limit` mails), stopping early when `stop` says so.
Result<DrainStats> drain(store::Store& store, transport::Sender& sender, const Clock& clock,
                         const DrainOptions& options, int limit = 1000, const std::function<bool()>& stop = {});

// A message to the town's admin (config `admin`), through the outbox: `template_name` rendered
// with `alert` (templates::kMailboxFailing, kMailboxRecovered). Nothing is queued (and false
// returned) when no admin or sender is set.
Result<bool> queue_alert(store::Store& store, const Setup& setup, const char* template_name,
                         const templates::Data& alert, const std::string& subject, std::int64_t now);

}  // namespace guichet::engine
