#include "store/store.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <set>

#include "mail/message_json.h"
#include "store/migrations.h"
#include "store/raw_codec.h"
#include "util/sha256.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::store {

struct Store::Impl {
  Database db;
  bool search_indexing = true;  // set_search_indexing

  // Prepared once per connection: ingest runs the same dozen statements for every mail.
  Result<Statement*> stmt(std::string_view sql) { return db.cached(sql); }
};

const char* name(RequestKind k) { return k == RequestKind::machine ? "machine" : "request"; }

const char* name(Channel c) {
  switch (c) {
    case Channel::email: return "email";
    case Channel::telephone: return "telephone";
    case Channel::counter: return "guichet";
    case Channel::letter: return "courrier";
  }
  return "email";
}

std::optional<Channel> parse_channel(std::string_view s) {
  for (Channel c : {Channel::email, Channel::telephone, Channel::counter, Channel::letter})
    if (s == name(c)) return c;
  return std::nullopt;
}

const char* name(MessageRole r) {
  switch (r) {
    case MessageRole::resident: return "resident";
    case MessageRole::answer: return "answer";
    case MessageRole::note: return "note";
    case MessageRole::command: return "command";
    case MessageRole::refused: return "refused";
    case MessageRole::machine: return "machine";
  }
  return "resident";
}

const char* name(AnswerHow h) {
  switch (h) {
    case AnswerHow::relayed: return "relayed";
    case AnswerHow::direct: return "direct";
    case AnswerHow::sent_folder: return "sent-folder";
    case AnswerHow::held: return "held";
    case AnswerHow::released: return "released";
  }
  return "relayed";
}

namespace {
// 2026-000042; machine mail kept apart counts on its own (M2026-000012), so that the references
// residents see have no gaps.
std::string format_reference(int year, std::int64_t seq, RequestKind kind = RequestKind::request) {
  char ref[32];
  std::snprintf(ref, sizeof ref, "%s%04d-%06lld", kind == RequestKind::machine ? "M" : "", year,
                static_cast<long long>(seq));
  return ref;
}

Result<std::string> next_reference(Store::Impl& impl, int year, RequestKind kind = RequestKind::request) {
  auto counter = impl.stmt(
      "INSERT INTO reference_counters (year, last) VALUES (?1, 1) "
      "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last");
  if (!counter) return counter.error();
  // Machine mail's counter lives under the negative year.
  (*counter)->bind(1, static_cast<std::int64_t>(kind == RequestKind::machine ? -year : year));
  auto row = (*counter)->step();
  if (!row) return row.error();
  std::int64_t seq = (*counter)->int64(0);
  (*counter)->reset();
  return format_reference(year, seq, kind);
}
}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::open(const std::string& path, Database::Mode mode) {
  auto db = Database::open(path, mode);
  if (!db) return db.error();
  if (mode == Database::Mode::read_write) {
    // WAL lets readers (list, show, an élu's search) run while the daemon writes. FULL makes each
    // commit durable before we flag or move the mail at its source: with NORMAL a power cut can
    // undo the last commit after the server was told the mail was safe.
    {
      auto wal = db->prepare("PRAGMA journal_mode=WAL");  // returns a row: finalised at scope end
      if (!wal) return wal.error();
      if (auto r = wal->step(); !r) return r.error();
    }
    // 16 MiB of page cache (SQLite's default is 2 MiB): the indexes threading searches on every mail
    // stay in memory as the database grows (bench/threading.sh).
    if (auto r = db->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;"); !r)
      return r.error();
    if (auto r = migrate(*db); !r) return r.error();
  } else {
    auto version = db->prepare("PRAGMA user_version");
    if (!version) return version.error();
    auto row = version->step();
    if (!row) return row.error();
    const std::int64_t at = version->int64(0);
    if (at == 0) return Error{Errc::no_input, "database " + path + " holds no guichet data"};
    version->reset();
    // Read-only, it cannot be upgraded here, and this binary's queries need the new schema: say so
    // rather than fail on a missing column (after a package upgrade, before the daemon restarts).
    const int latest = migrations().empty() ? 0 : migrations().back().version;
    if (at < latest)
      return Error{Errc::temp_fail, "database " + path + " is at schema " + std::to_string(at) +
                                        ", this guichet needs " + std::to_string(latest) +
                                        ": it is upgraded, in one transaction, when `guichet serve` (or any "
                                        "command that writes) opens it"};
  }
  auto impl = std::make_unique<Impl>(Impl{std::move(*db)});
  // No commit leaves a request's rows in the index with the scope it had before.
  impl->db.set_before_commit([p = impl.get()]() -> Result<void> {
    return p->search_indexing ? apply_search_rescopes(p->db) : Result<void>{};
  });
  Store store(std::move(impl));
  if (mode == Database::Mode::read_write) {
    // A database older than the search index: indexed once, here, in resumable batches.
    int last_tenth = -1;
    auto built = store.build_search_index([&](std::int64_t done, std::int64_t total) {
      const int tenth = total ? static_cast<int>(done * 10 / total) : 10;
      if (tenth != last_tenth) spdlog::warn("indexing for search: {} of {} messages and requests", done, total);
      last_tenth = tenth;
    });
    if (!built) return built.error();
  }
  return store;
}

Result<Transaction> Store::transaction() { return Transaction::begin(impl_->db); }
Result<Statement*> Store::impl_stmt(std::string_view sql) { return impl_->stmt(sql); }
Database& Store::database() { return impl_->db; }
Outbox Store::outbox() { return Outbox(impl_->db); }
MailboxStates Store::mailboxes() { return MailboxStates(impl_->db); }
WebLogins Store::web() { return WebLogins(impl_->db); }
void Store::set_search_indexing(bool on) { impl_->search_indexing = on; }
bool Store::search_indexing() const { return impl_->search_indexing; }

Result<std::optional<std::string>> Store::blob(const std::string& sha256) {
  auto st = impl_->stmt("SELECT data FROM blobs WHERE sha256 = ?1");
  if (!st) return st.error();
  (*st)->bind(1, sha256);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>{};
  std::string data = (*st)->blob(0);
  (*st)->reset();
  return std::optional<std::string>(std::move(data));
}

namespace {
// The CHECK constraint keeps anything else out of the column.
RequestStatus status_of(const std::string& text) {
  return parse_request_status(text).value_or(RequestStatus::new_request);
}
}  // namespace

namespace {
Result<std::optional<ExistingMessage>> first_message(Result<Statement*> st) {
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<ExistingMessage>{};
  ExistingMessage m{(*st)->int64(0), (*st)->int64(1), (*st)->text(2), (*st)->text(3)};
  (*st)->reset();
  return std::optional<ExistingMessage>(std::move(m));
}
constexpr const char* kSelectExisting =
    "SELECT m.id, m.request_id, r.reference, m.content_hash FROM messages m JOIN requests r ON r.id = m.request_id ";
}  // namespace

Result<std::optional<ExistingMessage>> Store::find_by_message_id(const std::string& message_id) {
  auto st = impl_->stmt(std::string(kSelectExisting) + "WHERE m.message_id = ?1 ORDER BY m.id LIMIT 1");
  if (st) (*st)->bind(1, message_id);
  return first_message(st);
}

Result<std::optional<ExistingMessage>> Store::find_by_content_hash(const std::string& hash) {
  auto st = impl_->stmt(std::string(kSelectExisting) + "WHERE m.content_hash = ?1 ORDER BY m.id LIMIT 1");
  if (st) (*st)->bind(1, hash);
  return first_message(st);
}


namespace {
constexpr const char* kRequestState = "SELECT id, reference, status, closed_at, coalesce(last_message_at, received_at), merged_into FROM requests ";

// Reads a request at the current row and follows merged_into to the request that absorbed it.
Result<std::optional<RequestState>> resolve(Store::Impl& impl, Statement& st) {
  auto row = st.step();
  if (!row) return row.error();
  if (!*row) return std::optional<RequestState>{};
  std::optional<std::int64_t> merged = st.opt_int64(5);
  RequestState r{st.int64(0), st.text(1), status_of(st.text(2)), st.opt_int64(3), st.int64(4)};
  st.reset();
  for (int hops = 0; merged && hops < 32; ++hops) {
    auto next = impl.stmt(std::string(kRequestState) + "WHERE id = ?1");
    if (!next) return next.error();
    (*next)->bind(1, *merged);
    auto nrow = (*next)->step();
    if (!nrow) return nrow.error();
    if (!*nrow) break;
    merged = (*next)->opt_int64(5);
    r = RequestState{(*next)->int64(0), (*next)->text(1), status_of((*next)->text(2)), (*next)->opt_int64(3),
                     (*next)->int64(4)};
    (*next)->reset();
  }
  return std::optional<RequestState>(std::move(r));
}
}  // namespace

Result<std::optional<std::pair<RequestState, bool>>> Store::find_thread_id(const std::string& message_id) {
  auto st = impl_->stmt("SELECT request_id, placeholder FROM thread_ids WHERE message_id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, message_id);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::pair<RequestState, bool>>{};
  std::int64_t request_id = (*st)->int64(0);
  bool placeholder = (*st)->int64(1) != 0;
  (*st)->reset();
  auto req = impl_->stmt(std::string(kRequestState) + "WHERE id = ?1");
  if (!req) return req.error();
  (*req)->bind(1, request_id);
  auto r = resolve(*impl_, **req);
  if (!r) return r.error();
  if (!*r) return std::optional<std::pair<RequestState, bool>>{};
  return std::optional<std::pair<RequestState, bool>>(std::make_pair(std::move(**r), placeholder));
}

Result<std::optional<RequestState>> Store::find_request(const std::string& reference) {
  auto st = impl_->stmt(std::string(kRequestState) + "WHERE reference = ?1");
  if (!st) return st.error();
  (*st)->bind(1, reference);
  return resolve(*impl_, **st);
}

Result<std::optional<RequestState>> Store::find_by_thread_key(const std::string& key) {
  auto st = impl_->stmt(std::string(kRequestState) +
                        "WHERE id = (SELECT request_id FROM messages WHERE thread_key = ?1 ORDER BY id DESC LIMIT 1)");
  if (!st) return st.error();
  (*st)->bind(1, key);
  return resolve(*impl_, **st);
}

Result<std::optional<RequestState>> Store::find_open_by_subject(const std::string& sender, const std::string& subject_key,
                                                                std::int64_t since) {
  auto st = impl_->stmt(std::string(kRequestState) +
                        "WHERE id = (SELECT m.request_id FROM messages m JOIN requests q ON q.id = m.request_id "
                        "WHERE m.sender = ?1 AND m.subject_key = ?2 AND m.received_at >= ?3 AND q.status <> 'closed' "
                        "AND q.merged_into IS NULL ORDER BY m.id DESC LIMIT 1)");
  if (!st) return st.error();
  (*st)->bind(1, sender).bind(2, subject_key).bind(3, since);
  return resolve(*impl_, **st);
}

Result<std::vector<Store::SubjectOf>> Store::open_subjects_of(const std::string& sender, std::int64_t since) {
  auto st = impl_->stmt(
      "SELECT m.request_id, m.subject_key FROM messages m JOIN requests q ON q.id = m.request_id "
      "WHERE m.sender = ?1 AND m.received_at >= ?2 AND m.subject_key <> '' AND q.status <> 'closed' "
      "AND q.merged_into IS NULL GROUP BY m.request_id, m.subject_key ORDER BY max(m.id) DESC LIMIT 50");
  if (!st) return st.error();
  (*st)->bind(1, sender).bind(2, since);
  std::vector<std::pair<std::int64_t, std::string>> rows;
  if (auto r = (*st)->each([&](const Statement& s) { rows.emplace_back(s.int64(0), s.text(1)); }); !r) return r.error();
  std::vector<SubjectOf> out;
  for (auto& [id, key] : rows) {
    auto req = impl_->stmt(std::string(kRequestState) + "WHERE id = ?1");
    if (!req) return req.error();
    (*req)->bind(1, id);
    auto r = resolve(*impl_, **req);
    if (!r) return r.error();
    if (*r) out.push_back({std::move(**r), std::move(key)});
  }
  return out;
}

Result<std::vector<Store::MailOf>> Store::open_mail_of(const std::string& sender, std::int64_t since) {
  auto st = impl_->stmt(
      "SELECT m.request_id, m.received_at FROM messages m JOIN requests q ON q.id = m.request_id "
      "WHERE m.sender = ?1 AND m.received_at >= ?2 AND q.status <> 'closed' AND q.kind = 'request' "
      "AND q.merged_into IS NULL ORDER BY m.id DESC LIMIT 200");
  if (!st) return st.error();
  (*st)->bind(1, sender).bind(2, since);
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;
  if (auto r = (*st)->each([&](const Statement& s) { rows.emplace_back(s.int64(0), s.int64(1)); }); !r) return r.error();
  std::vector<MailOf> out;
  for (const auto& [id, at] : rows) {
    auto req = impl_->stmt(std::string(kRequestState) + "WHERE id = ?1");
    if (!req) return req.error();
    (*req)->bind(1, id);
    auto r = resolve(*impl_, **req);
    if (!r) return r.error();
    if (*r) out.push_back({std::move(**r), at});
  }
  return out;
}

Result<std::optional<RequestState>> Store::find_open_of_requester(const std::string& address,
                                                                  const std::string& subject_key) {
  auto st = impl_->stmt(std::string(kRequestState) +
                        "WHERE id = (SELECT p.request_id FROM participants p JOIN requests q ON q.id = p.request_id "
                        "WHERE p.address = ?1 AND p.role = 'requester' AND q.status <> 'closed' AND q.merged_into IS NULL "
                        "AND EXISTS (SELECT 1 FROM messages m WHERE m.request_id = p.request_id AND m.subject_key = ?2) "
                        "ORDER BY p.request_id DESC LIMIT 1)");
  if (!st) return st.error();
  (*st)->bind(1, to_lower(address)).bind(2, subject_key);
  return resolve(*impl_, **st);
}

Result<std::optional<ExistingMessage>> Store::find_resent(const MessageKeys& keys, std::int64_t since) {
  auto st = impl_->stmt(std::string(kSelectExisting) +
                        "WHERE m.sender = ?1 AND m.subject_key = ?2 AND m.body_key = ?3 AND m.received_at >= ?4 "
                        "ORDER BY m.id DESC LIMIT 1");
  if (st) (*st)->bind(1, keys.sender).bind(2, keys.subject_key).bind(3, keys.body_key).bind(4, since);
  return first_message(st);
}

Result<bool> Store::is_participant(std::int64_t request_id, const std::string& address) {
  std::string lower;
  for (char c : address) lower.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  auto st = impl_->stmt("SELECT 1 FROM participants WHERE request_id = ?1 AND address = ?2 LIMIT 1");
  if (!st) return st.error();
  (*st)->bind(1, request_id).bind(2, lower);
  auto row = (*st)->step();
  if (!row) return row.error();
  (*st)->reset();
  return *row;
}

Result<std::optional<std::string>> Store::last_assigned(const std::string& department) {
  auto st = impl_->stmt(
      "SELECT agent FROM requests WHERE department = ?1 AND agent IS NOT NULL ORDER BY id DESC LIMIT 1");
  if (!st) return st.error();
  (*st)->bind(1, department);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>{};
  std::string agent = (*st)->text(0);
  (*st)->reset();
  return std::optional<std::string>(agent);
}

Result<std::map<std::string, int>> Store::open_load(const std::string& department) {
  auto st = impl_->stmt(
      "SELECT agent, count(*) FROM requests WHERE department = ?1 AND agent IS NOT NULL AND status <> 'closed' "
      "AND merged_into IS NULL GROUP BY agent");
  if (!st) return st.error();
  (*st)->bind(1, department);
  std::map<std::string, int> load;
  auto e = (*st)->each([&](const Statement& s) { load[s.text(0)] = static_cast<int>(s.int64(1)); });
  if (!e) return e.error();
  return load;
}

Result<void> Store::add_thread_ids(std::int64_t request_id, const std::string& own,
                                   const std::vector<std::string>& referenced) {
  if (!own.empty()) {
    // A placeholder becomes real when the mail itself arrives; a real entry keeps its request.
    auto st = impl_->stmt(
        "INSERT INTO thread_ids (message_id, request_id, placeholder) VALUES (?1, ?2, 0) "
        "ON CONFLICT (message_id) DO UPDATE SET placeholder = 0, request_id = "
        "CASE WHEN placeholder = 1 THEN excluded.request_id ELSE request_id END");
    if (!st) return st.error();
    (*st)->bind(1, own).bind(2, request_id);
    if (auto r = (*st)->run(); !r) return r;
  }
  for (const auto& id : referenced) {
    if (id.empty() || id == own) continue;
    auto st = impl_->stmt(
        "INSERT INTO thread_ids (message_id, request_id, placeholder) VALUES (?1, ?2, 1) "
        "ON CONFLICT (message_id) DO NOTHING");
    if (!st) return st.error();
    (*st)->bind(1, id).bind(2, request_id);
    if (auto r = (*st)->run(); !r) return r;
  }
  return {};
}

Result<void> Store::touch_request(std::int64_t request_id, std::int64_t message_at, bool relance, bool reopen,
                                  std::int64_t now) {
  auto st = impl_->stmt(
      "UPDATE requests SET last_message_at = max(coalesce(last_message_at, 0), ?2), relances = relances + ?3, "
      "status = CASE WHEN ?4 THEN 'open' ELSE status END, closed_at = CASE WHEN ?4 THEN NULL ELSE closed_at END, "
      "updated_at = ?5 WHERE id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, request_id).bind(2, message_at).bind(3, std::int64_t{relance}).bind(4, std::int64_t{reopen});
  (*st)->bind(5, now);
  return (*st)->run();
}

Result<void> Store::set_status(std::int64_t request_id, RequestStatus status, std::int64_t now) {
  auto st = impl_->stmt(
      "UPDATE requests SET status = ?2, closed_at = CASE WHEN ?2 = 'closed' THEN ?3 ELSE NULL END, updated_at = ?3 "
      "WHERE id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, request_id).bind(2, name(status)).bind(3, now);
  return (*st)->run();
}

Result<void> Store::merge(std::int64_t into, std::int64_t from, std::int64_t now) {
  for (const char* sql : {
           "UPDATE messages SET request_id = ?1 WHERE request_id = ?2",
           "UPDATE thread_ids SET request_id = ?1 WHERE request_id = ?2",
           "INSERT INTO participants (request_id, address, name, role) SELECT ?1, address, name, "
           "CASE role WHEN 'requester' THEN 'copy' ELSE role END FROM participants WHERE request_id = ?2 "
           "ON CONFLICT DO NOTHING",
           "UPDATE requests SET relances = relances + (SELECT relances FROM requests WHERE id = ?2), "
           "last_message_at = max(coalesce(last_message_at, 0), (SELECT coalesce(last_message_at, 0) FROM requests "
           "WHERE id = ?2)), updated_at = ?3 WHERE id = ?1",
           "UPDATE requests SET merged_into = ?1, status = 'closed', closed_at = ?3, updated_at = ?3 WHERE id = ?2"}) {
    auto st = impl_->stmt(sql);
    if (!st) return st.error();
    (*st)->bind(1, into).bind(2, from).bind(3, now);
    if (auto r = (*st)->run(); !r) return r;
  }
  return {};
}

Result<std::string> Store::promote(std::int64_t id, int year, std::int64_t now) {
  // The reference is in the search index: out with the old row, in with the new.
  if (auto r = index_request(id, true); !r) return r.error();
  auto ref = next_reference(*impl_, year);
  if (!ref) return ref.error();
  auto st = impl_->stmt("UPDATE requests SET kind = 'request', reference = ?2, updated_at = ?3 WHERE id = ?1 AND kind = 'machine'");
  if (!st) return st.error();
  (*st)->bind(1, id).bind(2, *ref).bind(3, now);
  if (auto r = (*st)->run(); !r) return r.error();
  if (impl_->db.changes() != 1) return make_error(Errc::data, "request " + std::to_string(id) + " is not machine mail");
  if (auto r = index_request(id, false); !r) return r.error();
  return *ref;
}

Result<std::string> Store::split(std::int64_t message_row, int year, std::int64_t now) {
  auto ref = next_reference(*impl_, year);
  if (!ref) return ref.error();
  auto ins = impl_->stmt(
      "INSERT INTO requests (reference, status, subject, requester_name, requester_address, department, agent, "
      "received_at, created_at, updated_at, linked_to, last_message_at) "
      "SELECT ?2, 'new', m.subject, m.from_name, m.from_address, r.department, r.agent, m.received_at, ?3, ?3, r.id, "
      "m.received_at FROM messages m JOIN requests r ON r.id = m.request_id WHERE m.id = ?1");
  if (!ins) return ins.error();
  (*ins)->bind(1, message_row).bind(2, *ref).bind(3, now);
  if (auto r = (*ins)->run(); !r) return r.error();
  std::int64_t request_id = impl_->db.last_insert_id();
  if (auto r = index_request(request_id, false); !r) return r.error();
  for (const char* sql : {
           "UPDATE thread_ids SET request_id = ?2 WHERE message_id = (SELECT message_id FROM messages WHERE id = ?1)",
           "UPDATE messages SET request_id = ?2 WHERE id = ?1",
           "INSERT INTO participants (request_id, address, name, role) SELECT ?2, lower(from_address), from_name, "
           "'requester' FROM messages WHERE id = ?1 AND from_address <> '' ON CONFLICT DO NOTHING"}) {
    auto st = impl_->stmt(sql);
    if (!st) return st.error();
    (*st)->bind(1, message_row).bind(2, request_id);
    if (auto r = (*st)->run(); !r) return r.error();
  }
  return *ref;
}

Result<std::int64_t> Store::put_raw(std::string_view raw, const mail::Message& parsed) {
  return put_raw(raw, parsed, prepare_raw(raw, parsed));
}

Result<std::int64_t> Store::put_raw(std::string_view raw, const mail::Message& parsed, const PreparedRaw& prepared) {
  // No look-up by hash: identical bytes are the same Message-ID and content, so decide() has
  // already made them a duplicate; an index on the hash would cost a random insert per mail.
  if (prepared.encoded.size != raw.size()) return Error{Errc::software, "put_raw: prepared for another mail"};
  for (const auto& a : parsed.attachments) {
    auto put = impl_->stmt("INSERT INTO blobs (sha256, size, data) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING");
    if (!put) return put.error();
    (*put)->bind(1, a.sha256).bind(2, static_cast<std::int64_t>(a.size)).bind_blob(3, a.content);
    if (auto r = (*put)->run(); !r) return r.error();
  }
  const EncodedRaw& enc = prepared.encoded;
  auto ins = impl_->stmt("INSERT INTO raw_messages (sha256, size, encoding, holes, data) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!ins) return ins.error();
  (*ins)
      ->bind(1, prepared.sha256)
      .bind(2, static_cast<std::int64_t>(raw.size()))
      .bind(3, enc.encoding)
      .bind(4, enc.holes);
  (*ins)->bind_blob(5, enc.data);
  if (auto r = (*ins)->run(); !r) return r.error();
  return impl_->db.last_insert_id();
}

Result<std::string> Store::raw(std::int64_t message_row) {
  auto st = impl_->stmt(
      "SELECT r.encoding, r.holes, r.data, r.size, r.sha256 FROM messages m JOIN raw_messages r ON r.id = m.raw_id "
      "WHERE m.id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, message_row);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return Error{Errc::no_input, "no message " + std::to_string(message_row)};
  EncodedRaw enc{(*st)->text(0), (*st)->text(1), (*st)->blob(2), static_cast<size_t>((*st)->int64(3))};
  std::string sha = (*st)->text(4);
  (*st)->reset();
  auto out = decode_raw(enc, [&](const std::string& blob_sha) -> std::optional<std::string> {
    auto b = impl_->stmt("SELECT data FROM blobs WHERE sha256 = ?1");
    if (!b) return std::nullopt;
    (*b)->bind(1, blob_sha);
    auto r = (*b)->step();
    if (!r || !*r) return std::nullopt;
    std::string data = (*b)->blob(0);
    (*b)->reset();
    return data;
  });
  if (out && sha256_hex(*out) != sha) return Error{Errc::data, "stored raw message does not match its SHA-256"};
  return out;
}


Result<std::string> Store::peek_reference(int year) {
  auto st = impl_->stmt("SELECT last FROM reference_counters WHERE year = ?1");
  if (!st) return st.error();
  (*st)->bind(1, static_cast<std::int64_t>(year));
  auto row = (*st)->step();
  if (!row) return row.error();
  std::int64_t last = *row ? (*st)->int64(0) : 0;
  (*st)->reset();
  return format_reference(year, last + 1);
}

Result<std::pair<std::int64_t, std::string>> Store::create_request(const NewRequest& r, std::int64_t now) {
  auto ref = next_reference(*impl_, r.year, r.kind);
  if (!ref) return ref.error();

  auto ins = impl_->stmt(
      "INSERT INTO requests (reference, subject, requester_name, requester_address, department, received_at, "
      "created_at, updated_at, linked_to, last_message_at, agent, priority, tags, silence, delay, deemed_decision_on, "
      "rules, kind, channel, mailbox, requester_phone, requester_postal, competent_since, response_due_on) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?6, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?6, "
      "?21)");
  if (!ins) return ins.error();
  (*ins)->bind(1, *ref).bind(2, r.subject).bind(3, r.requester.name).bind(4, r.requester.address);
  (*ins)->bind(5, r.department).bind(6, r.received_at).bind(7, now).bind(8, r.linked_to);
  const Routing& ro = r.routing;
  (*ins)->bind(9, ro.agent).bind(10, ro.priority).bind(11, nlohmann::json(ro.tags).dump()).bind(12, ro.silence);
  (*ins)->bind(13, ro.delay).bind(14, ro.deemed_decision_on).bind(15, nlohmann::json(ro.rules).dump());
  (*ins)->bind(16, name(r.kind)).bind(17, name(r.channel)).bind(18, r.mailbox).bind(19, r.requester_phone);
  (*ins)->bind(20, r.requester_postal).bind(21, r.response_due_on);
  if (auto res = (*ins)->run(); !res) return res.error();
  const std::int64_t id = impl_->db.last_insert_id();
  if (auto res = index_request(id, false); !res) return res.error();
  return std::make_pair(id, *ref);
}

namespace {
std::string headers_json(const mail::Message& m) {
  using mail::addresses_json;
  nlohmann::ordered_json j;
  j["to"] = addresses_json(m.to);
  j["cc"] = addresses_json(m.cc);
  j["reply_to"] = addresses_json(m.reply_to);
  j["sender"] = addresses_json(m.sender);
  j["in_reply_to"] = m.in_reply_to;
  j["references"] = m.references;
  j["auto_submitted"] = m.auto_submitted_header;
  j["precedence"] = m.precedence;
  j["list_id"] = m.list_id;
  j["return_path"] = m.return_path ? nlohmann::ordered_json(*m.return_path) : nlohmann::ordered_json(nullptr);
  j["x_loop"] = m.x_loop;
  j["thread_index"] = m.thread_index;
  j["thread_topic"] = m.thread_topic;
  j["authentication_results"] = m.authentication_results;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

Result<std::int64_t> Store::add_message(const NewMessage& n, const mail::Message& m, std::int64_t now) {
  auto ins = impl_->stmt(
      "INSERT INTO messages (request_id, raw_id, message_id, content_hash, from_name, from_address, subject, date, "
      "received_at, text, html, headers, auto_submitted, bounce, list, problems, matched_by, created_at, sender, "
      "subject_key, body_key, thread_key, role, agent) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
      "?24)");
  if (!ins) return ins.error();
  Statement& s = **ins;
  mail::Address from = m.from.empty() ? mail::Address{} : m.from.front();
  s.bind(1, n.request_id).bind(2, n.raw_id);
  if (m.message_id.empty()) s.bind(3, nullptr);
  else s.bind(3, m.message_id);
  s.bind(4, n.content_hash).bind(5, from.name).bind(6, from.address).bind(7, m.subject).bind(8, m.date);
  // The search index's row is made of what is stored here, so that it can be given again.
  const std::string headers = headers_json(m);
  StoredMail stored{from.name, from.address, names_of_mail(m, headers), m.subject, m.text, {}};
  for (const auto& a : m.attachments) stored.files += (stored.files.empty() ? "" : " ") + a.filename;
  s.bind(9, n.received_at).bind(10, m.text).bind(11, m.html).bind(12, headers);
  s.bind(13, std::int64_t{m.auto_submitted}).bind(14, std::int64_t{m.bounce}).bind(15, std::int64_t{m.list});
  s.bind(16, nlohmann::json(m.problems).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  s.bind(17, n.matched_by).bind(18, now).bind(19, n.keys.sender).bind(20, n.keys.subject_key);
  s.bind(21, n.keys.body_key).bind(22, n.keys.thread_key).bind(23, name(n.role)).bind(24, n.agent);
  if (auto r = s.run(); !r) return r.error();
  std::int64_t id = impl_->db.last_insert_id();
  for (size_t i = 0; i < m.attachments.size(); ++i) {
    const auto& a = m.attachments[i];
    auto att = impl_->stmt(
        "INSERT INTO attachments (message_id, position, filename, content_type, size, sha256) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!att) return att.error();
    (*att)->bind(1, id).bind(2, static_cast<std::int64_t>(i)).bind(3, a.filename).bind(4, a.content_type);
    (*att)->bind(5, static_cast<std::int64_t>(a.size)).bind(6, a.sha256);
    if (auto r = (*att)->run(); !r) return r.error();
  }
  if (auto r = index_message(id, n.request_id, stored); !r) return r.error();
  return id;
}

Result<void> Store::add_source(std::int64_t message_row, const Source& src, std::int64_t now) {
  auto st = impl_->stmt(
      "INSERT INTO message_sources (message_id, mailbox, location, seen_at, recipient) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!st) return st.error();
  (*st)->bind(1, message_row).bind(2, src.mailbox).bind(3, src.location).bind(4, now).bind(5, src.recipient);
  return (*st)->run();
}

Result<void> Store::add_participant(std::int64_t request_id, const mail::Address& who, const std::string& role) {
  if (who.address.empty()) return {};
  std::string lower;
  for (char c : who.address) lower.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  auto st = impl_->stmt(
      "INSERT INTO participants (request_id, address, name, role) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  (*st)->bind(1, request_id).bind(2, lower).bind(3, who.name).bind(4, role);
  return (*st)->run();
}

Result<void> Store::add_event(std::optional<std::int64_t> request_id, std::optional<std::int64_t> message_row,
                              std::int64_t at, const std::string& actor, const std::string& kind,
                              const std::string& detail_json) {
  auto st = impl_->stmt(
      "INSERT INTO events (request_id, message_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st) return st.error();
  (*st)->bind(1, request_id).bind(2, message_row).bind(3, at).bind(4, actor).bind(5, kind).bind(6, detail_json);
  return (*st)->run();
}

namespace {
#define GUICHET_REQUEST_COLUMNS(MESSAGE_IDS, PROBLEMS)                                                          \
  "SELECT r.id, r.reference, r.status, r.subject, r.requester_name, r.requester_address, r.department, r.agent, " \
  "r.received_at, " MESSAGE_IDS ", " PROBLEMS ", (SELECT reference FROM requests WHERE id = r.linked_to), "       \
  "(SELECT reference FROM requests WHERE id = r.merged_into), r.relances, r.priority, r.tags, r.silence, r.delay, " \
  "r.deemed_decision_on, r.kind, r.channel, r.mailbox, r.requester_phone, r.requester_postal, r.answer_version, "   \
  "r.first_answer_at, r.last_answer_at, r.closed_at, r.last_message_at, r.competent_since, r.suspended_since, "    \
  "r.full_ack_at, r.decided_at, r.suspended_days, r.missing, r.missing_deadline, r.response_due_on, "              \
  "r.created_at, r.purged_at FROM requests r "
// Without the per-request sub-queries: what the deadline scanner reads for every open request.
constexpr const char* kSelectRequestLight = GUICHET_REQUEST_COLUMNS("'[]'", "0");
constexpr const char* kSelectRequest = GUICHET_REQUEST_COLUMNS(
    "(SELECT json_group_array(coalesce(message_id, '')) FROM (SELECT message_id FROM messages WHERE request_id = r.id "
    "ORDER BY id))",
    "(SELECT count(*) FROM messages WHERE request_id = r.id AND problems <> '[]')");
#undef GUICHET_REQUEST_COLUMNS

RequestInfo read_request(const Statement& s) {
  RequestInfo r;
  r.id = s.int64(0);
  r.reference = s.text(1);
  r.status = status_of(s.text(2));
  r.subject = s.text(3);
  r.requester = {s.text(4), s.text(5)};
  r.department = s.opt_text(6);
  r.agent = s.opt_text(7);
  r.received_at = s.int64(8);
  for (const auto& id : nlohmann::json::parse(s.text(9))) r.message_ids.push_back(id.get<std::string>());
  r.problem_messages = static_cast<int>(s.int64(10));
  r.linked_to = s.opt_text(11);
  r.merged_into = s.opt_text(12);
  r.relances = static_cast<int>(s.int64(13));
  r.priority = s.text(14);
  r.tags_json = s.text(15);
  r.silence = s.text(16);
  r.delay = s.opt_text(17);
  r.deemed_decision_on = s.opt_text(18);
  r.kind = s.text(19);
  r.channel = s.text(20);
  r.mailbox = s.text(21);
  r.requester_phone = s.text(22);
  r.requester_postal = s.text(23);
  r.answer_version = static_cast<int>(s.int64(24));
  r.first_answer_at = s.opt_int64(25);
  r.last_answer_at = s.opt_int64(26);
  r.closed_at = s.opt_int64(27);
  r.last_message_at = s.opt_int64(28);
  r.competent_since = s.opt_int64(29);
  r.suspended_since = s.opt_int64(30);
  r.full_ack_at = s.opt_int64(31);
  r.decided_at = s.opt_int64(32);
  r.suspended_days = static_cast<int>(s.int64(33));
  for (const auto& m : nlohmann::json::parse(s.text(34))) r.missing.push_back(m.get<std::string>());
  r.missing_deadline = s.opt_text(35);
  r.response_due_on = s.opt_text(36);
  r.created_at = s.int64(37);
  r.purged_at = s.opt_int64(38);
  return r;
}
}  // namespace

namespace {

// The conditions of a list, only those asked for: "(?1 IS NULL OR …)" would keep SQLite from every
// index. Parameters: ?1 kind, ?2 status, ?3 department, ?4 agent.
std::string list_where(const ListFilter& filter) {
  std::string sql = " WHERE r.kind = ?1";
  if (filter.status) sql += " AND r.status = ?2";
  if (!filter.include_merged) sql += " AND r.merged_into IS NULL";
  if (filter.department) sql += " AND r.department = ?3";
  if (filter.agent) sql += " AND r.agent = ?4";
  if (filter.open_only) sql += " AND r.status <> 'closed'";
  return sql;
}

void bind_list(Statement& st, const ListFilter& filter) {
  st.bind(1, name(filter.kind));
  if (filter.status) st.bind(2, name(*filter.status));
  if (filter.department) st.bind(3, *filter.department);
  if (filter.agent) st.bind(4, *filter.agent);
}

}  // namespace

Result<std::vector<RequestInfo>> Store::requests(const ListFilter& filter) {
  std::string sql = std::string(kSelectRequest) + list_where(filter);
  sql += filter.by_deadline ? " ORDER BY r.response_due_on IS NULL, r.response_due_on, r.received_at, r.id"
                            : " ORDER BY r.received_at, r.id";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  auto st = impl_->stmt(sql);
  if (!st) return st.error();
  bind_list(**st, filter);
  std::vector<RequestInfo> out;
  if (auto r = (*st)->each([&](const Statement& s) { out.push_back(read_request(s)); }); !r) return r.error();
  return out;
}

Result<std::int64_t> Store::count_requests(const ListFilter& filter) {
  auto st = impl_->stmt("SELECT count(*) FROM requests r" + list_where(filter));
  if (!st) return st.error();
  bind_list(**st, filter);
  auto row = (*st)->step();
  if (!row) return row.error();
  const std::int64_t n = *row ? (*st)->int64(0) : 0;
  (*st)->reset();
  return n;
}

Result<std::optional<RequestInfo>> Store::request(const std::string& reference) {
  auto st = impl_->stmt(std::string(kSelectRequest) + "WHERE r.reference = ?1");
  if (!st) return st.error();
  (*st)->bind(1, reference);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<RequestInfo>{};
  RequestInfo r = read_request(**st);
  (*st)->reset();

  auto msgs = impl_->stmt(
      "SELECT id, message_id, from_name, from_address, subject, date, received_at, text, html IS NOT NULL, "
      "auto_submitted, bounce, list, headers, problems, matched_by, role, agent FROM messages WHERE request_id = ?1 "
      "ORDER BY id");
  if (!msgs) return msgs.error();
  (*msgs)->bind(1, r.id);
  auto read_message = [&](const Statement& s) {
    MessageInfo m;
    m.id = s.int64(0);
    m.message_id = s.opt_text(1);
    m.from = {s.text(2), s.text(3)};
    m.subject = s.text(4);
    m.date = s.opt_int64(5);
    m.received_at = s.int64(6);
    m.text = s.text(7);
    m.has_html = s.int64(8) != 0;
    m.auto_submitted = s.int64(9) != 0;
    m.bounce = s.int64(10) != 0;
    m.list = s.int64(11) != 0;
    m.headers_json = s.text(12);
    m.problems_json = s.text(13);
    m.matched_by = s.text(14);
    m.role = s.text(15);
    m.agent = s.opt_text(16);
    r.messages.push_back(std::move(m));
  };
  if (auto e = (*msgs)->each(read_message); !e) return e.error();
  for (auto& m : r.messages) {
    auto att = impl_->stmt(
        "SELECT filename, content_type, size, sha256 FROM attachments WHERE message_id = ?1 ORDER BY position");
    if (!att) return att.error();
    (*att)->bind(1, m.id);
    auto e = (*att)->each([&](const Statement& a) {
      m.attachments.push_back({a.text(0), a.text(1), a.text(3), a.int64(2)});
    });
    if (!e) return e.error();
    auto src = impl_->stmt(
        "SELECT mailbox, location, seen_at, recipient FROM message_sources WHERE message_id = ?1 ORDER BY id");
    if (!src) return src.error();
    (*src)->bind(1, m.id);
    e = (*src)->each([&](const Statement& a) { m.sources.push_back({a.text(0), a.text(1), a.text(3), a.int64(2)}); });
    if (!e) return e.error();
  }
  auto ans = impl_->stmt(
      "SELECT id, message_id, outbox_id, agent, agent_address, how, version, at FROM answers WHERE request_id = ?1 "
      "ORDER BY id");
  if (!ans) return ans.error();
  (*ans)->bind(1, r.id);
  if (auto e = (*ans)->each([&](const Statement& a) {
        r.answers.push_back(AnswerInfo{a.int64(0), a.opt_int64(1), a.opt_int64(2), a.opt_text(3), a.text(4), a.text(5),
                                       static_cast<int>(a.int64(6)), a.int64(7)});
      });
      !e)
    return e.error();
  auto ev = impl_->stmt("SELECT at, actor, kind, detail, message_id FROM events WHERE request_id = ?1 ORDER BY id");
  if (!ev) return ev.error();
  (*ev)->bind(1, r.id);
  auto e = (*ev)->each([&](const Statement& a) {
    r.events.push_back({a.int64(0), a.text(1), a.text(2), a.text(3), a.opt_int64(4)});
  });
  if (!e) return e.error();
  return std::optional<RequestInfo>(std::move(r));
}

Result<std::optional<RequestInfo>> Store::request_summary(std::int64_t id) {
  auto st = impl_->stmt(std::string(kSelectRequest) + "WHERE r.id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, id);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<RequestInfo>{};
  RequestInfo r = read_request(**st);
  (*st)->reset();
  return std::optional<RequestInfo>(std::move(r));
}

Result<std::optional<RequestInfo>> Store::request_summary(const std::string& reference, bool follow_merges) {
  if (follow_merges) {
    auto state = find_request(reference);
    if (!state) return state.error();
    if (!*state) return std::optional<RequestInfo>{};
    return request_summary((*state)->id);
  }
  auto st = impl_->stmt(std::string(kSelectRequest) + "WHERE r.reference = ?1");
  if (!st) return st.error();
  (*st)->bind(1, reference);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<RequestInfo>{};
  RequestInfo r = read_request(**st);
  (*st)->reset();
  return std::optional<RequestInfo>(std::move(r));
}

Result<std::optional<RequestStatus>> Store::request_status(std::int64_t id) {
  auto st = impl_->stmt("SELECT status FROM requests WHERE id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, id);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<RequestStatus>{};
  const RequestStatus s = status_of((*st)->text(0));
  (*st)->reset();
  return std::optional<RequestStatus>(s);
}

Result<void> Store::update_request(std::int64_t id, const RequestChanges& c, std::int64_t now) {
  // The subject is in the search index: out with the old row, in with the new.
  if (c.subject) {
    if (auto r = index_request(id, true); !r) return r;
  }
  auto updated = update_request_row(id, c, now);
  if (!updated || !c.subject) return updated;
  return index_request(id, false);
}

Result<void> Store::update_request_row(std::int64_t id, const RequestChanges& c, std::int64_t now) {
  // One UPDATE with the columns that change; values bound, never spliced. `expr` wraps the bound
  // value: "coalesce(first_answer_at, ?)" keeps the first answer's time.
  std::string sql = "UPDATE requests SET updated_at = ?1";
  std::vector<std::function<void(Statement&, int)>> binds;
  auto set = [&](const char* column, std::function<void(Statement&, int)> bind, const std::string& expr = "?") {
    std::string param = std::to_string(binds.size() + 3);
    param.insert(param.begin(), '?');  // not "?" + …: GCC 12 -O3 warns falsely (-Wrestrict) on that
    std::string value = expr;
    value.replace(value.find('?'), 1, param);
    sql += std::string(", ") + column + " = " + value;
    binds.push_back(std::move(bind));
  };
  auto text = [&](const char* column, const std::optional<std::string>& v) {
    set(column, [v](Statement& st, int i) { st.bind(i, v); });
  };
  auto number = [&](const char* column, const std::optional<std::int64_t>& v, const std::string& expr = "?") {
    set(column, [v](Statement& st, int i) { st.bind(i, v); }, expr);
  };
  if (c.department) text("department", *c.department);
  if (c.agent) text("agent", *c.agent);
  if (c.status) {
    text("status", std::string(name(*c.status)));
    // closed_at follows the status: set when it closes, cleared when it opens again.
    number("closed_at", *c.status == RequestStatus::closed ? std::optional<std::int64_t>(now) : std::nullopt);
  }
  if (c.priority) text("priority", *c.priority);
  if (c.silence) text("silence", *c.silence);
  if (c.subject) text("subject", *c.subject);
  if (c.delay) text("delay", *c.delay);
  if (c.deemed_decision_on) text("deemed_decision_on", *c.deemed_decision_on);
  if (c.missing_deadline) text("missing_deadline", *c.missing_deadline);
  if (c.response_due_on) text("response_due_on", *c.response_due_on);
  if (c.competent_since) number("competent_since", *c.competent_since);
  if (c.suspended_since) number("suspended_since", *c.suspended_since);
  if (c.full_ack_at) number("full_ack_at", *c.full_ack_at);
  if (c.decided_at) number("decided_at", *c.decided_at);
  if (c.suspended_days) number("suspended_days", *c.suspended_days);
  if (c.missing) text("missing", nlohmann::json(*c.missing).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (c.kind) text("kind", std::string(name(*c.kind)));
  if (c.answered_at) {
    sql += ", answer_version = answer_version + 1";
    number("first_answer_at", *c.answered_at, "coalesce(first_answer_at, ?)");
    number("last_answer_at", *c.answered_at);
  }
  sql += " WHERE id = ?2";
  auto st = impl_->stmt(sql);
  if (!st) return st.error();
  (*st)->bind(1, now).bind(2, id);
  for (size_t i = 0; i < binds.size(); ++i) binds[i](**st, static_cast<int>(i + 3));
  return (*st)->run();
}

Result<std::int64_t> Store::add_answer(std::int64_t request_id, const AnswerInfo& a) {
  auto st = impl_->stmt(
      "INSERT INTO answers (request_id, message_id, outbox_id, agent, agent_address, how, version, at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!st) return st.error();
  (*st)->bind(1, request_id).bind(2, a.message_row).bind(3, a.outbox_id).bind(4, a.agent).bind(5, a.agent_address);
  (*st)->bind(6, a.how).bind(7, static_cast<std::int64_t>(a.version)).bind(8, a.at);
  if (auto r = (*st)->run(); !r) return r.error();
  return impl_->db.last_insert_id();
}

Result<Store::Conversation> Store::conversation(std::int64_t request_id) {
  // The resident's mails and ours to them, in the order they happened (at most the last 20: a
  // References header stays short; the first id, the root, is always kept).
  auto st = impl_->stmt(
      "SELECT id, who FROM (SELECT message_id AS id, received_at AS at, 'resident' AS who, id AS n FROM messages "
      "WHERE request_id = ?1 AND message_id IS NOT NULL AND role = 'resident' "
      "UNION ALL SELECT message_id, created_at, 'guichet', id FROM outbox WHERE request_id = ?1 "
      "AND kind IN ('acknowledgement', 'transfer', 'answer') AND status IN ('queued', 'sent')) ORDER BY at, n");
  if (!st) return st.error();
  (*st)->bind(1, request_id);
  Conversation c;
  if (auto r = (*st)->each([&](const Statement& s) {
        c.ids.push_back(s.text(0));
        if (s.text(1) == "resident") c.last_from_resident = s.text(0);
      });
      !r)
    return r.error();
  if (c.ids.size() > 20) c.ids.erase(c.ids.begin() + 1, c.ids.end() - 19);
  return c;
}

Result<std::vector<RequestInfo>> Store::open_requests() {
  auto st = impl_->stmt(std::string(kSelectRequestLight) +
                        "WHERE r.status <> 'closed' AND r.kind = 'request' AND r.merged_into IS NULL ORDER BY r.id");
  if (!st) return st.error();
  std::vector<RequestInfo> out;
  if (auto r = (*st)->each([&](const Statement& s) { out.push_back(read_request(s)); }); !r) return r.error();
  return out;
}

Result<std::vector<RequestInfo>> Store::open_requests_after(std::int64_t after_id, int limit) {
  auto st = impl_->stmt(std::string(kSelectRequestLight) +
                        "WHERE r.status <> 'closed' AND r.kind = 'request' AND r.merged_into IS NULL AND r.id > ?1 "
                        "ORDER BY r.id LIMIT ?2");
  if (!st) return st.error();
  (*st)->bind(1, after_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<RequestInfo> out;
  if (auto r = (*st)->each([&](const Statement& s) { out.push_back(read_request(s)); }); !r) return r.error();
  return out;
}

Result<std::vector<DepartmentFigures>> Store::live_figures(const std::string& today, std::int64_t month_start) {
  std::map<std::string, DepartmentFigures> by;
  auto open = impl_->stmt(
      "SELECT coalesce(department, ''), count(*), "
      "sum(status IN ('new', 'open') AND response_due_on IS NOT NULL AND response_due_on < ?1), "
      "sum(relances > 0) FROM requests WHERE status <> 'closed' AND kind = 'request' AND merged_into IS NULL "
      "GROUP BY department");
  if (!open) return open.error();
  (*open)->bind(1, today);
  auto r = (*open)->each([&](const Statement& s) {
    auto& f = by[s.text(0)];
    f.department = s.text(0);
    f.open = static_cast<int>(s.int64(1));
    f.late = static_cast<int>(s.int64(2));
    f.relanced = static_cast<int>(s.int64(3));
  });
  if (!r) return r.error();
  // Requests whose first answer came this month, and whether it came by the target.
  auto answered = impl_->stmt(
      "SELECT coalesce(department, ''), count(*), sum(response_due_on IS NULL OR date(first_answer_at, 'unixepoch', "
      "'localtime') <= response_due_on) FROM requests INDEXED BY requests_first_answer "  // else a scan of every request
      "WHERE first_answer_at >= ?1 AND kind = 'request' GROUP BY department");
  if (!answered) return answered.error();
  (*answered)->bind(1, month_start);
  r = (*answered)->each([&](const Statement& s) {
    auto& f = by[s.text(0)];
    f.department = s.text(0);
    f.answered_this_month = static_cast<int>(s.int64(1));
    f.within_target_this_month = static_cast<int>(s.int64(2));
  });
  if (!r) return r.error();
  std::vector<DepartmentFigures> out;
  for (auto& [k, f] : by) out.push_back(f);
  return out;
}

Result<std::vector<std::string>> Store::reminder_keys() {
  auto st = impl_->stmt(
      "SELECT m.request_id, m.kind, m.level, m.due_on FROM reminders m JOIN requests r ON r.id = m.request_id "
      "WHERE r.status <> 'closed'");
  if (!st) return st.error();
  std::vector<std::string> out;
  auto r = (*st)->each([&](const Statement& s) {
    out.push_back(std::to_string(s.int64(0)) + " " + s.text(1) + " " + std::to_string(s.int64(2)) + " " + s.text(3));
  });
  if (!r) return r.error();
  return out;
}

Result<bool> Store::add_reminder(std::int64_t request_id, const std::string& kind, int level, const std::string& due_on,
                                 const std::string& recipients_json, std::int64_t now) {
  auto st = impl_->stmt(
      "INSERT INTO reminders (request_id, kind, level, due_on, created_at, recipients) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  (*st)->bind(1, request_id).bind(2, kind).bind(3, static_cast<std::int64_t>(level)).bind(4, due_on).bind(5, now);
  (*st)->bind(6, recipients_json);
  if (auto r = (*st)->run(); !r) return r.error();
  return impl_->db.changes() > 0;
}

Result<bool> Store::add_digest(const std::string& recipient, const std::string& day,
                               std::optional<std::int64_t> outbox_id, std::int64_t now) {
  auto st = impl_->stmt(
      "INSERT INTO digests (recipient, day, created_at, outbox_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  (*st)->bind(1, recipient).bind(2, day).bind(3, now).bind(4, outbox_id);
  if (auto r = (*st)->run(); !r) return r.error();
  return impl_->db.changes() > 0;
}

Result<bool> Store::has_digest(const std::string& recipient, const std::string& day) {
  auto st = impl_->stmt("SELECT 1 FROM digests WHERE recipient = ?1 AND day = ?2");
  if (!st) return st.error();
  (*st)->bind(1, recipient).bind(2, day);
  auto row = (*st)->step();
  if (!row) return row.error();
  (*st)->reset();
  return *row;
}

Result<std::vector<Store::FigureRequest>> Store::figure_requests(std::int64_t since, std::int64_t until) {
  auto st = impl_->stmt(
      "SELECT r.id, r.reference, r.received_at, r.department, r.agent, r.response_due_on, "
      "coalesce(json_extract(r.rules, '$[0]'), ''), r.channel, "
      "coalesce((SELECT subject_key FROM messages WHERE request_id = r.id ORDER BY id LIMIT 1), '') "
      "FROM requests r WHERE r.kind = 'request' AND r.merged_into IS NULL AND r.received_at >= ?1 AND r.received_at < ?2 "
      "ORDER BY r.received_at");
  if (!st) return st.error();
  (*st)->bind(1, since).bind(2, until);
  std::vector<FigureRequest> out;
  auto r = (*st)->each([&](const Statement& s) {
    out.push_back(FigureRequest{s.int64(0), s.text(1), s.int64(2), s.opt_text(3), s.opt_text(4), s.opt_text(5), s.text(6),
                                s.text(7), s.text(8)});
  });
  if (!r) return r.error();
  return out;
}

Result<std::vector<Store::FigureEvent>> Store::figure_events(std::int64_t since, std::int64_t until) {
  auto st = impl_->stmt(
      "SELECT e.request_id, e.at, e.kind, e.detail FROM events e JOIN requests r ON r.id = e.request_id "
      "WHERE r.kind = 'request' AND r.merged_into IS NULL AND r.received_at >= ?1 AND r.received_at < ?2 AND e.kind IN "
      "('answer_relayed', 'answer_recorded', 'answer_released', 'status_changed', 'transferred', 'relance', "
      "'decision_implicite') ORDER BY e.id");
  if (!st) return st.error();
  (*st)->bind(1, since).bind(2, until);
  std::vector<FigureEvent> out;
  auto r = (*st)->each([&](const Statement& s) { out.push_back(FigureEvent{s.int64(0), s.int64(1), s.text(2), s.text(3)}); });
  if (!r) return r.error();
  return out;
}

Result<std::optional<std::string>> Store::setting(const std::string& key) {
  auto st = impl_->stmt("SELECT value FROM settings WHERE key = ?1");
  if (!st) return st.error();
  (*st)->bind(1, key);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>{};
  std::string v = (*st)->blob(0);
  (*st)->reset();
  return std::optional<std::string>(std::move(v));
}

Result<void> Store::put_setting(const std::string& key, const std::string& value) {
  auto st = impl_->stmt("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2");
  if (!st) return st.error();
  (*st)->bind(1, key).bind_blob(2, value);
  return (*st)->run();
}

namespace {

// A person's name for matching an RGPD request: folded, punctuation and a leading civility removed.
std::string person_key(std::string_view name) {
  std::string folded = fold_text(name);
  for (char& ch : folded)
    if (ch == '.' || ch == ',' || ch == '"' || ch == '\'') ch = ' ';
  static const std::set<std::string, std::less<>> civilities = {"m", "mr", "mme", "mlle", "me", "dr", "madame",
                                                                 "monsieur", "mademoiselle", "maitre", "docteur"};
  std::vector<std::string> words;
  const std::string collapsed = collapse_spaces(folded);  // split() points into it
  for (auto w : split(collapsed, ' '))
    if (!w.empty()) words.emplace_back(w);
  while (!words.empty() && civilities.count(words.front())) words.erase(words.begin());
  std::string key;
  for (const auto& w : words) key += (key.empty() ? "" : " ") + w;
  return words.size() >= 2 ? key : std::string();  // a first name alone is nobody
}

}  // namespace

Result<std::vector<std::int64_t>> Store::requests_of_person(const std::string& who) {
  std::set<std::int64_t> ids;
  if (who.find('@') != std::string::npos) {
    auto st = impl_->stmt(
        "SELECT id FROM requests WHERE lower(requester_address) = ?1 "
        "UNION SELECT request_id FROM participants WHERE address = ?1 AND role IN ('requester', 'copy')");
    if (!st) return st.error();
    (*st)->bind(1, to_lower(trim(who)));
    if (auto r = (*st)->each([&](const Statement& row) { ids.insert(row.int64(0)); }); !r) return r.error();
  } else {
    const std::string key = person_key(who);
    if (key.empty()) return std::vector<std::int64_t>{};
    auto st = impl_->stmt(
        "SELECT id, requester_name FROM requests WHERE requester_name != '' "
        "UNION ALL SELECT request_id, name FROM participants WHERE role IN ('requester', 'copy') AND name != ''");
    if (!st) return st.error();
    auto r = (*st)->each([&](const Statement& row) {
      if (person_key(row.text(1)) == key) ids.insert(row.int64(0));
    });
    if (!r) return r.error();
  }
  return std::vector<std::int64_t>(ids.begin(), ids.end());
}

}  // namespace guichet::store
