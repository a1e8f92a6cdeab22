// Tombstones (store/purge.h): one request's personal data removed in the caller's transaction.
#include "store/purge.h"

#include <nlohmann/json.hpp>

#include "store/search_index.h"
#include "util/sha256.h"

namespace guichet::store {

namespace {

// Runs `sql` with ?1 bound to `id`; returns how many rows it changed.
Result<std::int64_t> run_for(Database& db, const char* sql, std::int64_t id) {
  auto st = db.cached(sql);
  if (!st) return st.error();
  (*st)->bind(1, id);
  if (auto r = (*st)->run(); !r) return r.error();
  return db.changes();
}

Result<std::int64_t> count_for(Database& db, const char* sql, std::int64_t id) {
  auto st = db.cached(sql);
  if (!st) return st.error();
  (*st)->bind(1, id);
  auto row = (*st)->step();
  if (!row) return row.error();
  const std::int64_t n = *row ? (*st)->int64(0) : 0;
  (*st)->reset();
  return n;
}

// The request's own row and what hangs on it directly (participants, threading ids, events,
// outbox), without its messages: for the request itself and each request merged into it.
Result<void> blank_request_row(Database& db, std::int64_t id, std::int64_t now, PurgeOutcome& out) {
  // The search rows are made from the columns about to be blanked: removed first, with the values
  // they were given (the index is contentless).
  if (auto r = index_request_rows(db, id, true); !r) return r;
  for (const char* sql :
       {"DELETE FROM participants WHERE request_id = ?1 AND role <> 'agent'",
        "DELETE FROM thread_ids WHERE request_id = ?1",
        // The figures read a status change's statuses and a transfer's departments; every other
        // detail may name or quote the resident.
        "UPDATE events SET detail = CASE WHEN kind IN ('status_changed', 'transferred') AND json_valid(detail) "
        "THEN json_object('from', json_extract(detail, '$.from'), 'to', json_extract(detail, '$.to')) ELSE '{}' END "
        "WHERE request_id = ?1 AND detail <> '{}'",
        "UPDATE requests SET subject = '', requester_name = '', requester_address = '', requester_phone = '', "
        "requester_postal = '', missing = '[]', purged_at = ?2 WHERE id = ?1"}) {
    auto st = db.cached(sql);
    if (!st) return st.error();
    (*st)->bind(1, id);
    if (std::string_view(sql).find("?2") != std::string_view::npos) (*st)->bind(2, now);
    if (auto r = (*st)->run(); !r) return r;
  }
  // What guichet sent: the row stays (kind, status, dates: the history says an acknowledgement
  // left on that day), its bytes and recipient go. One still waiting is not sent blank: cancelled.
  auto sent = run_for(db,
                      "UPDATE outbox SET message = X'', recipient = '', last_error = NULL, "
                      "status = CASE WHEN status IN ('queued', 'held') THEN 'cancelled' ELSE status END "
                      "WHERE request_id = ?1 AND (length(message) > 0 OR recipient <> '')",
                      id);
  if (!sent) return sent.error();
  out.outbox += *sent;
  return {};
}

}  // namespace

Result<std::vector<PurgeCandidate>> purge_candidates(Database& db, std::optional<std::int64_t> closed_before,
                                                     std::optional<std::int64_t> machine_before) {
  std::vector<PurgeCandidate> out;
  auto collect = [&](const char* sql, std::int64_t before, const char* kind) -> Result<void> {
    auto st = db.prepare(sql);
    if (!st) return st.error();
    st->bind(1, before);
    return st->each([&](const Statement& s) { out.push_back({s.int64(0), s.text(1), kind, s.int64(2)}); });
  };
  if (closed_before)
    if (auto r = collect("SELECT id, reference, closed_at FROM requests WHERE status = 'closed' AND purged_at IS NULL "
                         "AND closed_at < ?1 AND kind = 'request' AND merged_into IS NULL ORDER BY closed_at, id",
                         *closed_before, "request");
        !r)
      return r.error();
  if (machine_before)
    if (auto r = collect("SELECT id, reference, received_at FROM requests WHERE kind = 'machine' AND purged_at IS NULL "
                         "AND received_at < ?1 AND merged_into IS NULL ORDER BY received_at, id",
                         *machine_before, "machine");
        !r)
      return r.error();
  return out;
}

Result<std::int64_t> purge_loose_outbox(Database& db, std::int64_t before) {
  auto tx = Transaction::begin(db);
  if (!tx) return tx.error();
  auto n = run_for(db,
                   "UPDATE outbox SET message = X'', recipient = '', last_error = NULL WHERE request_id IS NULL "
                   "AND created_at < ?1 AND status NOT IN ('queued', 'held') AND length(message) > 0",
                   before);
  if (!n) return n.error();
  if (auto c = tx->commit(); !c) return c.error();
  return *n;
}

SecureDelete::SecureDelete(Database& db) : db_(db), started_(db.exec("PRAGMA secure_delete = ON")) {}

SecureDelete::~SecureDelete() { (void)db_.exec("PRAGMA secure_delete = OFF"); }

Result<void> compact_after_purge(Database& db) {
  for (const char* sql : {"INSERT INTO search (search) VALUES ('optimize')",
                          "INSERT INTO search_requests (search_requests) VALUES ('optimize')",
                          "INSERT INTO search_names (search_names) VALUES ('optimize')"}) {
    auto tx = Transaction::begin(db);
    if (!tx) return tx.error();
    if (auto r = db.exec(sql); !r) return r;
    if (auto c = tx->commit(); !c) return c;
  }
  (void)db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return {};
}

Result<std::set<std::string>> shared_subject_keys(Database& db, const std::vector<std::int64_t>& ids) {
  std::set<std::string> out;
  if (ids.empty()) return out;
  nlohmann::json list = nlohmann::json::array();
  for (auto id : ids) list.push_back(id);
  auto st = db.prepare(
      "WITH firsts AS (SELECT (SELECT subject_key FROM messages WHERE request_id = j.value ORDER BY id LIMIT 1) AS k "
      "FROM json_each(?1) j) "
      "SELECT subject_key FROM messages WHERE subject_key IN (SELECT k FROM firsts WHERE k <> '') "
      "GROUP BY subject_key HAVING count(DISTINCT request_id) > 1");
  if (!st) return st.error();
  st->bind(1, list.dump());
  if (auto r = st->each([&](const Statement& s) { out.insert(s.text(0)); }); !r) return r.error();
  return out;
}

Result<PurgeOutcome> purge_request(Database& db, std::int64_t id, std::int64_t now,
                                   const std::set<std::string>& shared_topics) {
  PurgeOutcome out;
  if (auto r = unindex_request_messages(db, id); !r) return r.error();

  // The first mail's normalised subject, kept when other requests share it (store/purge.h).
  std::string topic;
  {
    auto st = db.cached("SELECT subject_key FROM messages WHERE request_id = ?1 ORDER BY id LIMIT 1");
    if (!st) return st.error();
    (*st)->bind(1, id);
    auto row = (*st)->step();
    if (!row) return row.error();
    if (*row) topic = (*st)->text(0);
    (*st)->reset();
  }
  if (!shared_topics.count(topic)) topic.clear();

  auto bytes = count_for(db,
                         "SELECT coalesce(sum(r.size), 0) FROM messages m JOIN raw_messages r ON r.id = m.raw_id "
                         "WHERE m.request_id = ?1",
                         id);
  if (!bytes) return bytes.error();
  out.bytes = *bytes;

  // Attachments, then the contents no other mail's attachment points at. A raw copy's holes are
  // cut from its own mail's attachments (store/raw_codec.h), so an attachment row is the only
  // reference a blob has.
  std::vector<std::string> shas;
  {
    auto st = db.cached(
        "SELECT DISTINCT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.request_id = ?1");
    if (!st) return st.error();
    (*st)->bind(1, id);
    if (auto r = (*st)->each([&](const Statement& s) { shas.push_back(s.text(0)); }); !r) return r.error();
  }
  auto removed =
      run_for(db, "DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE request_id = ?1)", id);
  if (!removed) return removed.error();
  out.attachments = *removed;
  for (const auto& sha : shas) {
    auto st =
        db.cached("DELETE FROM blobs WHERE sha256 = ?1 AND NOT EXISTS (SELECT 1 FROM attachments WHERE sha256 = ?1)");
    if (!st) return st.error();
    (*st)->bind(1, sha);
    if (auto r = (*st)->run(); !r) return r.error();
    out.blobs += db.changes();
  }

  // The raw copies become empty mails that still check: `verify` reads the SHA-256 of nothing.
  {
    auto st = db.cached(
        "UPDATE raw_messages SET sha256 = ?2, size = 0, encoding = 'identity', holes = '[]', data = X'' "
        "WHERE id IN (SELECT raw_id FROM messages WHERE request_id = ?1)");
    if (!st) return st.error();
    (*st)->bind(1, id).bind(2, sha256_hex(""));
    if (auto r = (*st)->run(); !r) return r.error();
  }
  {
    auto st = db.cached(
        "UPDATE messages SET message_id = NULL, content_hash = '', from_name = '', from_address = '', subject = '', "
        "text = '', html = NULL, headers = '{}', problems = '[]', sender = '', body_key = '', thread_key = '', "
        "subject_key = CASE WHEN id = (SELECT min(id) FROM messages WHERE request_id = ?1) THEN ?2 ELSE '' END "
        "WHERE request_id = ?1");
    if (!st) return st.error();
    (*st)->bind(1, id).bind(2, topic);
    if (auto r = (*st)->run(); !r) return r.error();
    out.messages = db.changes();
  }

  std::vector<std::int64_t> merged;
  {
    auto st = db.cached("SELECT id FROM requests WHERE merged_into = ?1 AND purged_at IS NULL");
    if (!st) return st.error();
    (*st)->bind(1, id);
    if (auto r = (*st)->each([&](const Statement& s) { merged.push_back(s.int64(0)); }); !r) return r.error();
  }
  if (auto r = blank_request_row(db, id, now, out); !r) return r.error();
  for (const auto m : merged) {
    // Its mails moved into `id` when it was merged; one that came back by a split has its own.
    auto more = purge_request(db, m, now, shared_topics);
    if (!more) return more.error();
    out += *more;
  }
  return out;
}

}  // namespace guichet::store
