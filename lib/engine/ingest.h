// Ingest: one raw mail in, one decision applied to the store.
//
//   parse  ->  look up (store)  ->  decide (pure)  ->  apply (store, caller's transaction)
//
// decide() sees only its inputs (the message, what the store found, the policy, the time) and
// returns a Decision, so its rules are tested as a table. The caller commits, and only then tells
// the source (IMAP flag, Maildir move, MTA exit code) that the mail is safe.
//
// Threading, first match wins (docs/ARCHITECTURE.md, "Threading"):
//   1. same Message-ID, same content          -> duplicate (another mailbox, a re-fetch)
//   2. same content without usable Message-ID -> duplicate
//   3. In-Reply-To / References name a known message, newest first; or this message was
//      referenced earlier by a mail that arrived first (JWZ placeholder) -> that request
//   4. Outlook Thread-Index conversation                                    -> that request
//   5. a reference in the subject, from someone taking part                 -> that request
//      (from anyone else: a new request linked to it)
//   6. resent copy: same sender, subject and body within 24 h               -> duplicate
//   7. relance: same sender and subject, request still open, within 30 days -> that request
//   8. otherwise a new request
// A match on a closed request reopens it within 30 days of closing; later, it starts a new request
// linked to the old one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/message.h"
#include "directory/directory.h"
#include "mail/parse.h"
#include "routing/rules.h"
#include "store/store.h"
#include "templates/letter.h"
#include "util/clock.h"

namespace guichet::engine {

struct ThreadingPolicy {
  std::int64_t relance_window = 30 * 86400;
  std::int64_t reopen_window = 30 * 86400;
  std::int64_t resend_window = 86400;
  std::string reference_prefix = "R\xC3\xA9" "f.";
};

struct Lookups {
  std::optional<store::ExistingMessage> by_message_id;
  std::optional<store::ExistingMessage> by_content_hash;
  // The first In-Reply-To/References id (newest first) that belongs to a request.
  std::optional<std::pair<std::string, store::RequestState>> by_reference;
  // This message's own Message-ID was referenced by a mail that arrived before it.
  std::optional<store::RequestState> by_placeholder;
  std::optional<store::RequestState> by_thread_index;
  std::optional<store::RequestState> by_subject_reference;
  bool sender_participates = false;  // in by_subject_reference
  std::optional<store::ExistingMessage> resent;
  std::optional<store::RequestState> relance;
  // A bounce reporting on a mail of ours: its Message-ID and the request it was about.
  std::optional<std::pair<std::string, store::RequestState>> by_bounce;
};

struct Decision {
  enum class Kind { new_request, attach, duplicate };
  Kind kind = Kind::new_request;
  std::optional<store::ExistingMessage> existing;  // duplicate: the stored copy
  std::optional<store::RequestState> request;      // attach: the request it joins
  std::optional<store::RequestState> linked_to;    // new_request: the request it names
  bool relance = false;
  bool reopen = false;
  std::string matched_by;  // rule and evidence: "references:<id>", "subject-reference:2026-000042"…
  std::vector<std::string> notes;
};

// What makes two copies the same mail, whatever the transport added: sender, Date, subject,
// decoded text and attachments. Catches re-deliveries without Message-ID and reused Message-IDs.
std::string content_hash(const mail::Message& m);

store::MessageKeys message_keys(const mail::Message& m);

Decision decide(const mail::Message& m, const std::string& hash, const Lookups& found, const ThreadingPolicy& policy,
                std::int64_t now);

// Gathers what decide() needs from the store.
Result<Lookups> look_up(store::Store& store, const mail::Message& m, const std::string& hash,
                        const store::MessageKeys& keys, const ThreadingPolicy& policy, std::int64_t now);

// When the town's server received the mail: the topmost Received: date, else the Date: header,
// else now; never in the future.
std::int64_t received_at(const mail::Message& m, std::int64_t now);

// What may be sent in answer to a mail, and from where (config: smtp, mailboxes, acknowledgements).
struct OutgoingPolicy {
  bool enabled = false;         // an smtp section exists: acknowledgements are queued
  std::string mailbox_address;  // the public address of the mailbox the mail came in
  std::string fallback_from;    // smtp.from
  std::vector<std::string> own_addresses;  // the town's: never acknowledged
  int per_day = 3, per_week = 10;          // acknowledgements to one address
  int retry_hours = 72;
};

struct IngestOptions {
  std::string mailbox;                    // the configured mailbox the mail came from, for rules
  std::optional<std::string> department;  // the mailbox's default department
  // Routing (optional): rules decide department, agent and procedure of each new request.
  const routing::RuleSet* rules = nullptr;
  const directory::Directory* directory = nullptr;
  const templates::TemplateSet* templates = nullptr;
  std::string commune;
  calendar::Region region = calendar::Region::metropole;
  mail::ParseLimits limits;
  ThreadingPolicy threading;
  OutgoingPolicy outgoing;
  bool dry_run = false;  // decide, but write nothing
};

struct Outcome {
  Decision::Kind kind = Decision::Kind::new_request;
  std::string reference;
  std::optional<std::string> department, agent;  // of a new request
  std::vector<std::string> rules;                // the routing rules that matched
  std::string message_id;
  std::string subject;
  mail::Address from;
  std::string matched_by;
  std::optional<std::string> linked_to;
  bool relance = false;
  bool reopened = false;
  std::vector<std::string> problems;
};

const char* kind_name(Decision::Kind k);

// Who takes a new request of `department`: the rule's agent (or its backup or the head when
// absent), the next available member after the last one assigned (round-robin), the available
// member with the fewest open requests (least-loaded), else the head.
Result<std::optional<std::string>> choose_agent(store::Store& store, const directory::Directory& dir,
                                                const std::optional<std::string>& rule_agent,
                                                const std::string& department, calendar::Date on);

// What routing decides for a new request: department (the rules', else the mailbox's), agent,
// priority, tags, procedure and its deemed-decision date, and the acknowledgement to send.
struct Routed {
  routing::Evaluation evaluation;  // matched rules; a line per test when asked for a trace
  std::optional<std::string> department;
  store::Routing routing;
  std::optional<calendar::Date> deemed_decision_on;
  std::string template_name;  // of the acknowledgement
  bool acknowledge = true;
};
Result<Routed> route(store::Store& store, const mail::Message& m, const IngestOptions& options, std::int64_t arrived,
                     bool trace = false);

// The variables of the acknowledgement of a request routed this way.
templates::Letter letter_for(const Routed& routed, const mail::Message& m, const std::string& reference,
                             std::int64_t arrived, const IngestOptions& options);

// Parses, decides and applies one mail. Must run inside a store transaction (unless dry_run).
Result<Outcome> ingest(store::Store& store, std::string_view raw, const store::Source& source,
                       const IngestOptions& options, const Clock& clock);

}  // namespace guichet::engine
