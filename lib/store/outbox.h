// The outbox: mail waiting to be sent, sent, failed or bounced (schema/0004_outbox.sql).
//
// Rows are written inside the caller's transaction, together with the decision that caused them;
// the drainer (lib/engine/outbox.h) reads due rows, sends, and records the outcome in a short
// transaction of its own. A crash between sending and recording sends that one mail again on
// restart, never loses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/kinds.h"
#include "store/sqlite.h"

namespace guichet::store {

struct OutboxMail {
  std::int64_t id = 0;
  std::optional<std::int64_t> request_id;
  std::string reference;  // of the request, when there is one
  OutboxKind kind = OutboxKind::notification;
  std::string message_id;
  std::string envelope_from;
  std::string recipient;
  std::string message;  // filled by due() only
  OutboxStatus status = OutboxStatus::queued;
  int attempts = 0;
  std::int64_t created_at = 0, next_attempt_at = 0, give_up_at = 0;
  std::optional<std::int64_t> sent_at;
  std::string last_error;
};

// Mail still queued after at least one failed attempt: what `guichet status` says about sending.
struct Deferred {
  int count = 0;
  std::int64_t since = 0;  // when the oldest of them was queued
  std::string last_error;  // the most recent attempt's
};

class Outbox {
 public:
  explicit Outbox(Database& db) : db_(db) {}

  // Queues a mail (or holds it, status held); returns its row id, or nullopt for a second
  // acknowledgement of one request.
  Result<std::optional<std::int64_t>> enqueue(const OutboxMail& m);
  // Acknowledgements queued or sent to `recipient` since `since` (the per-address loop brake).
  Result<int> acknowledgements_to(const std::string& recipient, std::int64_t since);
  // Queued rows whose time has come, oldest first, with their message.
  Result<std::vector<OutboxMail>> due(std::int64_t now, int limit);
  Result<void> mark_sent(std::int64_t id, std::int64_t now);
  Result<void> mark_retry(std::int64_t id, std::int64_t next_attempt_at, const std::string& error);
  Result<void> mark_failed(std::int64_t id, const std::string& error);
  // Not sent, and never will be (a reminder about a request closed since it was queued).
  Result<void> mark_cancelled(std::int64_t id, const std::string& why);
  // A bounce (DSN) reports on the row with this Message-ID.
  Result<std::optional<OutboxMail>> mark_bounced(const std::string& message_id, const std::string& detail);
  // Puts a failed (or bounced) row back in the queue, due now, with a new retry horizon.
  Result<bool> requeue(std::int64_t id, std::int64_t now, std::int64_t give_up_at);
  // A held answer is sent after all ("ENVOYER"): queued, due now. False when it was not held.
  Result<bool> release(std::int64_t id, std::int64_t now, std::int64_t give_up_at);
  Result<std::vector<OutboxMail>> for_request(std::int64_t request_id);
  // For `guichet outbox`: rows with these statuses (all when empty), without their message.
  Result<std::vector<OutboxMail>> list(const std::vector<OutboxStatus>& statuses, int limit);
  Result<std::optional<OutboxMail>> get(std::int64_t id);
  Result<std::optional<OutboxMail>> find(const std::string& message_id);
  Result<int> count(OutboxStatus status);
  Result<Deferred> deferred();

 private:
  Database& db_;
};

}  // namespace guichet::store
