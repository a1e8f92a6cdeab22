// Ingest: one raw mail in, one decision applied to the store.
//
//   parse  ->  look up (store)  ->  decide (pure, lib/threading)  ->  apply (store, caller's transaction)
//
// The caller commits, and only then tells the source (IMAP flag, Maildir move, MTA exit code)
// that the mail is safe. A new request is routed (engine/route.h) and gets its acknowledgement and
// its agent's notice queued in the same transaction (engine/outbox.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/options.h"
#include "mail/message.h"
#include "store/store.h"
#include "threading/decide.h"
#include "util/clock.h"

namespace guichet::engine {

using threading::Decision;

// What ingest did with a mail, beyond the threading decision (`kind`):
enum class Action {
  created,          // a new request (or machine mail kept apart)
  attached,         // joined a request
  duplicate,        // a copy of a stored mail
  answer_relayed,   // an agent's answer, sent on to the resident
  answer_held,      // an agent's answer kept back: a colleague answered first
  answer_released,  // "ENVOYER": a held answer sent after all
  answer_recorded,  // an answer that went around guichet (direct, Sent folder): recorded, not sent
  answer_refused,   // not authenticated, or about another request: stored, never relayed
  answer_empty,     // nothing left once quotes were removed: the agent is told
  commands,         // commands only (or commands refused)
  note,             // an internal note
  machine,          // machine mail answering an agent's notice, or kept apart
  skipped,          // Sent folder: guichet's own mail, or mail about no request
};
const char* action_name(Action a);

struct Outcome {
  Decision::Kind kind = Decision::Kind::new_request;
  Action action = Action::created;
  std::vector<std::string> lines;  // commands: one line each, as in the agent's receipt
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

// Parses, decides and applies one mail. Must run inside a store transaction (unless dry_run).
Result<Outcome> ingest(store::Store& store, std::string_view raw, const store::Source& source,
                       const IngestOptions& options, const Clock& clock);

// What ingest needs from a mail that depends on its bytes alone: parsed, its content keys, and
// its raw copy encoded for the store. parse_mail touches no store and no shared state, so the
// daemon runs it on the fetching thread while the store's thread ingests the mail before
// (engine/prefetch.h): on two cores, parsing and the database work at the same time.
struct ParsedMail {
  std::string raw;
  mail::Message m;
  std::string hash;
  store::MessageKeys keys;
  store::PreparedRaw stored;
};
ParsedMail parse_mail(std::string raw, const mail::ParseLimits& limits);

// ingest() for a mail parse_mail has prepared; `mail.m` gains the threading's notes.
Result<Outcome> ingest(store::Store& store, ParsedMail& mail, const store::Source& source, const IngestOptions& options,
                       const Clock& clock);

}  // namespace guichet::engine
