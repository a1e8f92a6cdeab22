#include "store/outbox.h"

namespace guichet::store {

namespace {
constexpr const char* kColumns =
    "o.id, o.request_id, coalesce(r.reference, ''), o.kind, o.message_id, o.envelope_from, o.recipient, o.status, "
    "o.attempts, o.created_at, o.next_attempt_at, o.give_up_at, o.sent_at, coalesce(o.last_error, '')";

OutboxMail read_row(const Statement& s) {
  OutboxMail m;
  m.id = s.int64(0);
  m.request_id = s.opt_int64(1);
  m.reference = s.text(2);
  m.kind = parse_outbox_kind(s.text(3)).value_or(OutboxKind::notification);
  m.message_id = s.text(4);
  m.envelope_from = s.text(5);
  m.recipient = s.text(6);
  m.status = parse_outbox_status(s.text(7)).value_or(OutboxStatus::queued);
  m.attempts = static_cast<int>(s.int64(8));
  m.created_at = s.int64(9);
  m.next_attempt_at = s.int64(10);
  m.give_up_at = s.int64(11);
  m.sent_at = s.opt_int64(12);
  m.last_error = s.text(13);
  return m;
}

Result<std::vector<OutboxMail>> select(Database& db, const std::string& where,
                                       const std::function<void(Statement&)>& bind, bool with_message) {
  std::string sql = std::string("SELECT ") + kColumns + (with_message ? ", o.message" : "") +
                    " FROM outbox o LEFT JOIN requests r ON r.id = o.request_id " + where;
  auto st = db.prepare(sql);
  if (!st) return st.error();
  bind(*st);
  std::vector<OutboxMail> out;
  auto r = st->each([&](const Statement& s) {
    out.push_back(read_row(s));
    if (with_message) out.back().message = s.blob(14);
  });
  if (!r) return r.error();
  return out;
}
}  // namespace

Result<std::optional<std::int64_t>> Outbox::enqueue(const OutboxMail& m) {
  auto st = db_.cached(
      "INSERT INTO outbox (request_id, kind, message_id, envelope_from, recipient, message, created_at, "
      "next_attempt_at, give_up_at, status, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10) "
      "ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  Statement& s = **st;
  s.bind(1, m.request_id).bind(2, name(m.kind)).bind(3, m.message_id).bind(4, m.envelope_from).bind(5, m.recipient);
  s.bind_blob(6, m.message).bind(7, m.created_at).bind(8, m.give_up_at).bind(9, name(m.status));
  if (m.last_error.empty())
    s.bind(10, nullptr);
  else
    s.bind(10, m.last_error);
  if (auto r = s.run(); !r) return r.error();
  if (db_.changes() == 0) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(db_.last_insert_id());
}

Result<int> Outbox::acknowledgements_to(const std::string& recipient, std::int64_t since) {
  auto st =
      db_.cached("SELECT count(*) FROM outbox WHERE recipient = ?1 AND kind = 'acknowledgement' AND created_at >= ?2");
  if (!st) return st.error();
  (*st)->bind(1, recipient).bind(2, since);
  auto row = (*st)->step();
  if (!row) return row.error();
  const int n = static_cast<int>((*st)->int64(0));
  (*st)->reset();
  return n;
}

Result<std::vector<OutboxMail>> Outbox::due(std::int64_t now, int limit) {
  return select(
      db_, "WHERE o.status = 'queued' AND o.next_attempt_at <= ?1 ORDER BY o.next_attempt_at, o.id LIMIT ?2",
      [&](Statement& s) { s.bind(1, now).bind(2, static_cast<std::int64_t>(limit)); }, true);
}

Result<void> Outbox::mark_sent(std::int64_t id, std::int64_t now) {
  auto st = db_.prepare(
      "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, id).bind(2, now);
  return st->run();
}

Result<void> Outbox::mark_retry(std::int64_t id, std::int64_t next_attempt_at, const std::string& error) {
  auto st =
      db_.prepare("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, id).bind(2, next_attempt_at).bind(3, error);
  return st->run();
}

Result<void> Outbox::mark_failed(std::int64_t id, const std::string& error) {
  auto st = db_.prepare("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, id).bind(2, error);
  return st->run();
}

Result<void> Outbox::mark_cancelled(std::int64_t id, const std::string& why) {
  auto st = db_.prepare("UPDATE outbox SET status = 'cancelled', last_error = ?2 WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, id).bind(2, why);
  return st->run();
}

Result<std::optional<OutboxMail>> Outbox::mark_bounced(const std::string& message_id, const std::string& detail) {
  auto st = db_.prepare("UPDATE outbox SET status = 'bounced', last_error = ?2 WHERE message_id = ?1");
  if (!st) return st.error();
  st->bind(1, message_id).bind(2, detail);
  if (auto r = st->run(); !r) return r.error();
  if (db_.changes() == 0) return std::optional<OutboxMail>();
  return find(message_id);
}

Result<bool> Outbox::requeue(std::int64_t id, std::int64_t now, std::int64_t give_up_at) {
  auto st = db_.prepare(
      "UPDATE outbox SET status = 'queued', next_attempt_at = ?2, give_up_at = ?3 WHERE id = ?1 AND status <> 'sent'");
  if (!st) return st.error();
  st->bind(1, id).bind(2, now).bind(3, give_up_at);
  if (auto r = st->run(); !r) return r.error();
  return db_.changes() > 0;
}

Result<bool> Outbox::release(std::int64_t id, std::int64_t now, std::int64_t give_up_at) {
  auto st = db_.prepare(
      "UPDATE outbox SET status = 'queued', next_attempt_at = ?2, give_up_at = ?3, last_error = NULL "
      "WHERE id = ?1 AND status = 'held'");
  if (!st) return st.error();
  st->bind(1, id).bind(2, now).bind(3, give_up_at);
  if (auto r = st->run(); !r) return r.error();
  return db_.changes() > 0;
}

Result<std::vector<OutboxMail>> Outbox::for_request(std::int64_t request_id) {
  return select(
      db_, "WHERE o.request_id = ?1 ORDER BY o.id", [&](Statement& s) { s.bind(1, request_id); }, false);
}

Result<std::vector<OutboxMail>> Outbox::list(const std::vector<OutboxStatus>& statuses, int limit) {
  std::string where;
  for (size_t i = 0; i < statuses.size(); ++i) where += (i ? ", ?" : "WHERE o.status IN (?") + std::to_string(i + 1);
  if (!statuses.empty()) where += ")";
  where += " ORDER BY o.id";
  if (limit > 0) where += " LIMIT " + std::to_string(limit);
  return select(
      db_, where,
      [&](Statement& s) {
        for (size_t i = 0; i < statuses.size(); ++i) s.bind(static_cast<int>(i + 1), name(statuses[i]));
      },
      false);
}

Result<std::optional<OutboxMail>> Outbox::get(std::int64_t id) {
  auto rows = select(
      db_, "WHERE o.id = ?1", [&](Statement& s) { s.bind(1, id); }, true);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<OutboxMail>();
  return std::optional<OutboxMail>(rows->front());
}

Result<std::optional<OutboxMail>> Outbox::find(const std::string& message_id) {
  auto rows = select(
      db_, "WHERE o.message_id = ?1", [&](Statement& s) { s.bind(1, message_id); }, false);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<OutboxMail>();
  return std::optional<OutboxMail>(rows->front());
}

Result<int> Outbox::count(OutboxStatus status) {
  auto st = db_.prepare("SELECT count(*) FROM outbox WHERE status = ?1");
  if (!st) return st.error();
  st->bind(1, name(status));
  auto row = st->step();
  if (!row) return row.error();
  return static_cast<int>(st->int64(0));
}

Result<Deferred> Outbox::deferred() {
  // The latest attempt is the one whose retry is due last (the backoff only grows).
  auto st = db_.prepare(
      "SELECT count(*), min(created_at), (SELECT last_error FROM outbox WHERE status = 'queued' AND attempts > 0 "
      "ORDER BY next_attempt_at DESC, id DESC LIMIT 1) FROM outbox WHERE status = 'queued' AND attempts > 0");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  Deferred d;
  d.count = static_cast<int>(st->int64(0));
  if (d.count > 0) {
    d.since = st->int64(1);
    d.last_error = st->text(2);
  }
  return d;
}

}  // namespace guichet::store
