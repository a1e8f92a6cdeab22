#include "store/web.h"

namespace guichet::store {

Result<void> WebLogins::put_session(const std::string& id_hash, const WebSession& s) {
  auto st = db_.prepare(
      "INSERT INTO web_sessions (id_hash, address, csrf, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!st) return st.error();
  st->bind(1, id_hash).bind(2, s.address).bind(3, s.csrf).bind(4, s.created_at).bind(5, s.last_seen_at);
  return st->run();
}

Result<std::optional<WebSession>> WebLogins::session(const std::string& id_hash) {
  auto st = db_.prepare("SELECT address, csrf, created_at, last_seen_at FROM web_sessions WHERE id_hash = ?1");
  if (!st) return st.error();
  st->bind(1, id_hash);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<WebSession>{};
  return std::optional<WebSession>(WebSession{st->text(0), st->text(1), st->int64(2), st->int64(3)});
}

Result<void> WebLogins::touch_session(const std::string& id_hash, std::int64_t now) {
  auto st = db_.prepare("UPDATE web_sessions SET last_seen_at = ?2 WHERE id_hash = ?1");
  if (!st) return st.error();
  st->bind(1, id_hash).bind(2, now);
  return st->run();
}

Result<void> WebLogins::drop_session(const std::string& id_hash) {
  auto st = db_.prepare("DELETE FROM web_sessions WHERE id_hash = ?1");
  if (!st) return st.error();
  st->bind(1, id_hash);
  return st->run();
}

Result<void> WebLogins::expire(std::int64_t idle_before, std::int64_t created_before, std::int64_t links_before,
                               std::int64_t attempts_before) {
  auto sessions = db_.prepare("DELETE FROM web_sessions WHERE last_seen_at < ?1 OR created_at < ?2");
  if (!sessions) return sessions.error();
  sessions->bind(1, idle_before).bind(2, created_before);
  if (auto r = sessions->run(); !r) return r;
  for (const auto& [sql, before] : {std::pair<const char*, std::int64_t>{"DELETE FROM web_links WHERE created_at < ?1", links_before},
                                    {"DELETE FROM web_attempts WHERE at < ?1", attempts_before}}) {
    auto st = db_.prepare(sql);
    if (!st) return st.error();
    st->bind(1, before);
    if (auto r = st->run(); !r) return r;
  }
  return {};
}

Result<void> WebLogins::put_link(const std::string& token_hash, const std::string& address, std::int64_t now) {
  auto st = db_.prepare("INSERT INTO web_links (token_hash, address, created_at) VALUES (?1, ?2, ?3)");
  if (!st) return st.error();
  st->bind(1, token_hash).bind(2, address).bind(3, now);
  return st->run();
}

Result<std::optional<std::string>> WebLogins::use_link(const std::string& token_hash, std::int64_t since,
                                                      std::int64_t now) {
  auto st = db_.prepare(
      "UPDATE web_links SET used_at = ?3 WHERE token_hash = ?1 AND used_at IS NULL AND created_at >= ?2 "
      "RETURNING address");
  if (!st) return st.error();
  st->bind(1, token_hash).bind(2, since).bind(3, now);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>{};
  std::string address = st->text(0);
  if (auto r = st->run(); !r) return r.error();
  return std::optional<std::string>(std::move(address));
}

Result<std::optional<std::string>> WebLogins::peek_link(const std::string& token_hash, std::int64_t since) {
  auto st = db_.prepare("SELECT address FROM web_links WHERE token_hash = ?1 AND used_at IS NULL AND created_at >= ?2");
  if (!st) return st.error();
  st->bind(1, token_hash).bind(2, since);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(st->text(0));
}

Result<int> WebLogins::attempts(const std::string& key, std::int64_t since) {
  auto st = db_.prepare("SELECT count(*) FROM web_attempts WHERE key = ?1 AND at >= ?2");
  if (!st) return st.error();
  st->bind(1, key).bind(2, since);
  auto row = st->step();
  if (!row) return row.error();
  return static_cast<int>(st->int64(0));
}

Result<void> WebLogins::add_attempt(const std::string& key, std::int64_t now) {
  auto st = db_.prepare("INSERT INTO web_attempts (key, at) VALUES (?1, ?2)");
  if (!st) return st.error();
  st->bind(1, key).bind(2, now);
  return st->run();
}

}  // namespace guichet::store
