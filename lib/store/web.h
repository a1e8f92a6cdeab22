// What the web view keeps (schema/0008_web.sql): sessions, one-time login links and login
// attempts, by hash. Part of lib/store; used by lib/web only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/sqlite.h"

namespace guichet::store {

struct WebSession {
  std::string address, csrf;
  std::int64_t created_at = 0, last_seen_at = 0;
};

class WebLogins {
 public:
  explicit WebLogins(Database& db) : db_(db) {}

  Result<void> put_session(const std::string& id_hash, const WebSession& s);
  Result<std::optional<WebSession>> session(const std::string& id_hash);
  Result<void> touch_session(const std::string& id_hash, std::int64_t now);
  Result<void> drop_session(const std::string& id_hash);
  // Sessions idle since before `idle_before` or created before `created_before`, and links older
  // than `links_before`, and attempts older than `attempts_before`: gone.
  Result<void> expire(std::int64_t idle_before, std::int64_t created_before, std::int64_t links_before,
                      std::int64_t attempts_before);

  Result<void> put_link(const std::string& token_hash, const std::string& address, std::int64_t now);
  // The link's address when it exists, is unused and was made since `since`; it is used then.
  Result<std::optional<std::string>> use_link(const std::string& token_hash, std::int64_t since, std::int64_t now);

  // The same, without using it (the page that shows the button).
  Result<std::optional<std::string>> peek_link(const std::string& token_hash, std::int64_t since);

  Result<int> attempts(const std::string& key, std::int64_t since);
  Result<void> add_attempt(const std::string& key, std::int64_t now);

 private:
  Database& db_;
};

}  // namespace guichet::store
