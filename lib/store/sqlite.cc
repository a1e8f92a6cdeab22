#include "store/sqlite.h"

#include <cstring>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace guichet::store {

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Statement& Statement::bind(int i, std::nullptr_t) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}
Statement& Statement::bind(int i, const std::optional<std::int64_t>& v) { return v ? bind(i, *v) : bind(i, nullptr); }
Statement& Statement::bind(int i, const std::optional<std::string>& v) {
  return v ? bind(i, std::string_view(*v)) : bind(i, nullptr);
}
Statement& Statement::bind_blob(int i, std::string_view v) {
  sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e{classify_sqlite_error(rc), std::string("database: ") + sqlite3_errmsg(db_)};
  sqlite3_reset(stmt_);
  return e;
}

Result<void> Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) break;
  }
  sqlite3_reset(stmt_);
  return {};
}

Result<void> Statement::each(const std::function<void(const Statement&)>& row) {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) break;
    row(*this);
  }
  sqlite3_reset(stmt_);
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

std::string Statement::blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

std::optional<std::int64_t> Statement::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

std::optional<std::string> Statement::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

Errc classify_sqlite_error(int code) {
  switch (code & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_AUTH:
    case SQLITE_PERM:
    // A corrupt or foreign file needs a human, but mail in a pipe must stay queued until then.
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::temp_fail;
    default:
      return Errc::software;
  }
}

Result<Database> Database::open(const std::string& path, Mode mode) {
  sqlite3* db = nullptr;
  int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Error{classify_sqlite_error(rc), "cannot open database " + path + ": " + msg};
  }
  sqlite3_extended_result_codes(db, 1);
  // Writers (daemon, CLI, MTA pipe) wait for each other rather than report "database is locked".
  sqlite3_busy_timeout(db, 30000);
  return Database(db);
}

Database::Database(sqlite3* db) : db_(db), connection_(std::make_unique<Connection>()) {
  sqlite3_rollback_hook(
      db_,
      [](void* p) {
        auto* c = static_cast<Connection*>(p);
        c->memo.clear();
        c->writes.clear();
      },
      connection_.get());
}

Result<void> Database::defer_write(DeferredWrite w) {
  connection_->writes.push_back(std::move(w));
  if (sqlite3_get_autocommit(db_)) return run_deferred_writes();  // no transaction: nothing to wait for
  return {};
}

Result<void> Database::run_deferred_writes() {
  // Taken out first: a failure half-way leaves nothing to run twice (the rollback that follows
  // undoes what ran).
  std::vector<DeferredWrite> writes = std::move(connection_->writes);
  connection_->writes.clear();
  for (const auto& w : writes) {
    auto st = cached(w.sql);
    if (!st) return st.error();
    (*st)->bind(1, w.rowid);
    for (size_t i = 0; i < w.texts.size(); ++i) (*st)->bind(static_cast<int>(i) + 2, w.texts[i]);
    if (auto r = (*st)->run(); !r) return r;
  }
  return {};
}

Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    cache_.clear();  // statements go before their connection
    if (db_) sqlite3_close(db_);
    db_ = o.db_;
    cache_ = std::move(o.cache_);
    before_commit_ = std::move(o.before_commit_);
    connection_ = std::move(o.connection_);
    o.db_ = nullptr;
  }
  return *this;
}

Database::~Database() {
  cache_.clear();
  if (db_) sqlite3_close(db_);
}

Result<Statement*> Database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto st = prepare(sql);
    if (!st) return st.error();
    it = cache_.emplace(std::string(sql), std::move(*st)).first;
  }
  it->second.reset();
  return &it->second;
}

Result<void> Database::exec(std::string_view sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Error{classify_sqlite_error(rc), "database: " + msg};
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return error("prepare");
  return Statement(db_, stmt);
}

Error Database::error(std::string_view what) const {
  int rc = sqlite3_extended_errcode(db_);
  std::string message = std::string("database ") + std::string(what) + ": " + sqlite3_errmsg(db_);
  if (int sys = sqlite3_system_errno(db_); sys != 0 && (rc & 0xff) == SQLITE_IOERR)
    message += std::string(" (") + std::strerror(sys) + ")";
  return Error{classify_sqlite_error(rc), message};
}

Result<std::int64_t> Database::copy_from(Database& from) {
  connection_->memo.clear();  // every page is replaced: what this connection remembered is another database's
  sqlite3_backup* b = sqlite3_backup_init(db_, "main", from.db_, "main");
  if (!b) return error("backup");
  // -1: every page in one step, so one read snapshot of the source (a step at a time would start
  // over each time the daemon commits). A writer holding the source's lock is waited for.
  int rc = SQLITE_OK;
  for (int waited_ms = 0;; waited_ms += 100) {
    rc = sqlite3_backup_step(b, -1);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited_ms >= 30000) break;
    sqlite3_sleep(100);
  }
  const std::int64_t pages = sqlite3_backup_pagecount(b);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return error("backup");
  return pages;
}

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

ReadSnapshot::ReadSnapshot(Database& db) {
  if (!db.in_transaction() && db.exec("BEGIN")) db_ = &db;
}

ReadSnapshot::~ReadSnapshot() {
  // Reads only: COMMIT ends the read transaction (a failure leaves nothing to undo; ROLLBACK then).
  if (db_ && !db_->exec("COMMIT")) (void)db_->exec("ROLLBACK");
}

Result<Transaction> Transaction::begin(Database& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) {
    if (auto r = db_->exec("ROLLBACK"); !r) spdlog::warn("rollback failed: {}", r.error().message);
  }
}

Result<void> Transaction::commit() {
  if (db_->before_commit_) {
    if (auto r = db_->before_commit_(); !r) return r;
  }
  if (auto r = db_->run_deferred_writes(); !r) return r;
  if (auto r = db_->exec("COMMIT"); !r) return r;
  db_ = nullptr;
  return {};
}

}  // namespace guichet::store
