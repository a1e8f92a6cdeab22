// Ingest: one raw mail in, one decision applied to the store.
//
//   parse  ->  decide (pure: the message, what the store already holds, the clock)  ->  apply
//
// decide() sees only its inputs and returns a Decision; apply() writes it inside the caller's
// transaction. The caller commits, and only then tells the source (IMAP flag, Maildir move, MTA
// exit code) that the mail is safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/message.h"
#include "mail/parse.h"
#include "store/store.h"
#include "util/clock.h"

namespace guichet::engine {

struct Decision {
  enum class Kind { new_request, duplicate };
  Kind kind = Kind::new_request;
  std::optional<store::ExistingMessage> existing;  // for duplicate
  std::string matched_by;                          // "new", "message-id:<id>", "content-hash"
  std::vector<std::string> notes;                  // problems the decision itself found
};

struct Lookups {
  std::optional<store::ExistingMessage> by_message_id;
  std::optional<store::ExistingMessage> by_content_hash;
};

// What makes two copies the same mail, whatever the transport added: sender, Date, subject,
// decoded text and attachments. Catches re-deliveries without Message-ID and reused Message-IDs.
std::string content_hash(const mail::Message& m);

Decision decide(const mail::Message& m, const std::string& hash, const Lookups& found);

// When the town's server received the mail: the topmost Received: date, else the Date: header,
// else now; never in the future.
std::int64_t received_at(const mail::Message& m, std::int64_t now);

struct IngestOptions {
  std::optional<std::string> department;  // the mailbox's default department
  mail::ParseLimits limits;
  bool dry_run = false;  // decide, but write nothing
};

struct Outcome {
  Decision::Kind kind = Decision::Kind::new_request;
  std::string reference;
  std::string message_id;
  std::string subject;
  mail::Address from;
  std::string matched_by;
  std::vector<std::string> problems;
};

const char* kind_name(Decision::Kind k);

// Parses, decides and applies one mail. Must run inside a store transaction (unless dry_run).
Result<Outcome> ingest(store::Store& store, std::string_view raw, const store::Source& source,
                       const IngestOptions& options, const Clock& clock);

}  // namespace guichet::engine
