// Where each configured mailbox is: the last UID committed under which UIDVALIDITY, the health
// of its polls, and the server-side actions still owed for committed messages
// (schema/0005_mailboxes.sql). Written in the same transactions as the mail it describes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite.h"

namespace guichet::store {

struct MailboxState {
  std::string name;
  std::optional<std::int64_t> uidvalidity;
  std::int64_t last_uid = 0;
  std::int64_t waiting = 0;
  std::optional<std::int64_t> last_poll_at, last_success_at, failing_since;
  std::string last_error;
  bool alerted = false;
};

struct PendingAction {
  std::int64_t uidvalidity = 0;
  std::int64_t uid = 0;
  bool was_seen = false;
};

class MailboxStates {
 public:
  explicit MailboxStates(Database& db) : db_(db) {}

  Result<std::optional<MailboxState>> get(const std::string& name);
  Result<std::vector<MailboxState>> all();
  // UIDVALIDITY and last UID (inside the transaction that committed the message).
  Result<void> set_position(const std::string& name, std::int64_t uidvalidity, std::int64_t last_uid);
  Result<void> set_waiting(const std::string& name, std::int64_t waiting);
  Result<void> poll_succeeded(const std::string& name, std::int64_t now);
  // Returns the state after recording the failure (failing_since kept from the first one).
  Result<MailboxState> poll_failed(const std::string& name, const std::string& error, std::int64_t now);
  Result<void> set_alerted(const std::string& name, bool alerted);

  Result<void> add_pending(const std::string& name, const PendingAction& a);
  Result<std::vector<PendingAction>> pending(const std::string& name);
  Result<void> clear_pending(const std::string& name, std::int64_t uidvalidity, const std::vector<std::int64_t>& uids);
  Result<void> drop_pending(const std::string& name, std::int64_t uidvalidity);  // other UIDVALIDITYs

 private:
  Result<void> ensure(const std::string& name);
  Database& db_;
};

}  // namespace guichet::store
