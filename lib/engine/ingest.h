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

// Parses, decides and applies one mail. Must run inside a store transaction (unless dry_run).
Result<Outcome> ingest(store::Store& store, std::string_view raw, const store::Source& source,
                       const IngestOptions& options, const Clock& clock);

}  // namespace guichet::engine
