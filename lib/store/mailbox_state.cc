#include "store/mailbox_state.h"

namespace guichet::store {

namespace {
constexpr const char* kSelect =
    "SELECT name, uidvalidity, last_uid, waiting, last_poll_at, last_success_at, failing_since, "
    "coalesce(last_error, ''), alerted FROM mailbox_state ";

MailboxState read(const Statement& s) {
  MailboxState m;
  m.name = s.text(0);
  m.uidvalidity = s.opt_int64(1);
  m.last_uid = s.int64(2);
  m.waiting = s.int64(3);
  m.last_poll_at = s.opt_int64(4);
  m.last_success_at = s.opt_int64(5);
  m.failing_since = s.opt_int64(6);
  m.last_error = s.text(7);
  m.alerted = s.int64(8) != 0;
  return m;
}

Result<void> run(Database& db, const std::string& sql, const std::function<void(Statement&)>& bind) {
  auto st = db.prepare(sql);
  if (!st) return st.error();
  bind(*st);
  return st->run();
}
}  // namespace

Result<void> MailboxStates::ensure(const std::string& name) {
  return run(db_, "INSERT INTO mailbox_state (name) VALUES (?1) ON CONFLICT DO NOTHING",
             [&](Statement& s) { s.bind(1, name); });
}

Result<std::optional<MailboxState>> MailboxStates::get(const std::string& name) {
  auto st = db_.prepare(std::string(kSelect) + "WHERE name = ?1");
  if (!st) return st.error();
  st->bind(1, name);
  std::optional<MailboxState> out;
  if (auto r = st->each([&](const Statement& s) { out = read(s); }); !r) return r.error();
  return out;
}

Result<std::vector<MailboxState>> MailboxStates::all() {
  auto st = db_.prepare(std::string(kSelect) + "ORDER BY name");
  if (!st) return st.error();
  std::vector<MailboxState> out;
  if (auto r = st->each([&](const Statement& s) { out.push_back(read(s)); }); !r) return r.error();
  return out;
}

Result<void> MailboxStates::set_position(const std::string& name, std::int64_t uidvalidity, std::int64_t last_uid) {
  if (auto r = ensure(name); !r) return r;
  return run(db_, "UPDATE mailbox_state SET uidvalidity = ?2, last_uid = ?3 WHERE name = ?1",
             [&](Statement& s) { s.bind(1, name).bind(2, uidvalidity).bind(3, last_uid); });
}

Result<void> MailboxStates::set_waiting(const std::string& name, std::int64_t waiting) {
  if (auto r = ensure(name); !r) return r;
  return run(db_, "UPDATE mailbox_state SET waiting = ?2 WHERE name = ?1",
             [&](Statement& s) { s.bind(1, name).bind(2, waiting); });
}

Result<void> MailboxStates::poll_succeeded(const std::string& name, std::int64_t now) {
  if (auto r = ensure(name); !r) return r;
  return run(db_,
             "UPDATE mailbox_state SET last_poll_at = ?2, last_success_at = ?2, last_error = NULL, "
             "failing_since = NULL WHERE name = ?1",
             [&](Statement& s) { s.bind(1, name).bind(2, now); });
}

Result<MailboxState> MailboxStates::poll_failed(const std::string& name, const std::string& error, std::int64_t now) {
  if (auto r = ensure(name); !r) return r.error();
  auto r = run(db_,
               "UPDATE mailbox_state SET last_poll_at = ?2, last_error = ?3, "
               "failing_since = coalesce(failing_since, ?2) WHERE name = ?1",
               [&](Statement& s) { s.bind(1, name).bind(2, now).bind(3, error); });
  if (!r) return r.error();
  auto st = get(name);
  if (!st) return st.error();
  return **st;
}

Result<void> MailboxStates::set_alerted(const std::string& name, bool alerted) {
  return run(db_, "UPDATE mailbox_state SET alerted = ?2 WHERE name = ?1",
             [&](Statement& s) { s.bind(1, name).bind(2, static_cast<std::int64_t>(alerted)); });
}

Result<void> MailboxStates::add_pending(const std::string& name, const PendingAction& a) {
  return run(db_,
             "INSERT INTO mailbox_pending (name, uidvalidity, uid, was_seen) VALUES (?1, ?2, ?3, ?4) "
             "ON CONFLICT DO NOTHING",
             [&](Statement& s) {
               s.bind(1, name).bind(2, a.uidvalidity).bind(3, a.uid).bind(4, static_cast<std::int64_t>(a.was_seen));
             });
}

Result<std::vector<PendingAction>> MailboxStates::pending(const std::string& name) {
  auto st = db_.prepare("SELECT uidvalidity, uid, was_seen FROM mailbox_pending WHERE name = ?1 ORDER BY uid");
  if (!st) return st.error();
  st->bind(1, name);
  std::vector<PendingAction> out;
  auto r = st->each([&](const Statement& s) { out.push_back({s.int64(0), s.int64(1), s.int64(2) != 0}); });
  if (!r) return r.error();
  return out;
}

Result<void> MailboxStates::clear_pending(const std::string& name, std::int64_t uidvalidity,
                                          const std::vector<std::int64_t>& uids) {
  for (auto uid : uids) {
    auto r = run(db_, "DELETE FROM mailbox_pending WHERE name = ?1 AND uidvalidity = ?2 AND uid = ?3",
                 [&](Statement& s) { s.bind(1, name).bind(2, uidvalidity).bind(3, uid); });
    if (!r) return r;
  }
  return {};
}

Result<void> MailboxStates::drop_pending(const std::string& name, std::int64_t uidvalidity) {
  return run(db_, "DELETE FROM mailbox_pending WHERE name = ?1 AND uidvalidity <> ?2",
             [&](Statement& s) { s.bind(1, name).bind(2, uidvalidity); });
}

}  // namespace guichet::store
