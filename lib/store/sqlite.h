// A thin RAII layer over the SQLite C API: a connection, prepared statements, transactions.
// SQLite result codes become Result errors here, classified once: what a retry can fix
// (busy, full disk, I/O) is Errc::temp_fail, so pipe mode answers EX_TEMPFAIL and the MTA retries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

// The SQLite C API stays inside lib/store: callers see these two opaque types only.
struct sqlite3;
struct sqlite3_stmt;

namespace guichet::store {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Bind by 1-based index. Strings and blobs are copied (SQLITE_TRANSIENT).
  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, std::nullptr_t);
  Statement& bind(int i, const std::optional<std::int64_t>& v);
  Statement& bind(int i, const std::optional<std::string>& v);
  Statement& bind_blob(int i, std::string_view v);

  // True when a row is available; false when done. Errors come back as Result.
  Result<bool> step();
  // Runs to completion, for statements that return no rows.
  Result<void> run();
  // Calls `row` for every result row, then resets the statement.
  Result<void> each(const std::function<void(const Statement&)>& row);
  void reset();

  std::int64_t int64(int col) const;
  std::string text(int col) const;
  std::string blob(int col) const;
  bool is_null(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  enum class Mode { read_write, read_only };

  static Result<Database> open(const std::string& path, Mode mode);
  Database(Database&& o) noexcept
      : db_(o.db_),
        cache_(std::move(o.cache_)),
        before_commit_(std::move(o.before_commit_)),
        connection_(std::move(o.connection_)) {
    o.db_ = nullptr;
  }
  Database& operator=(Database&& o) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // Prepared once per connection and reset for each use, for what runs for every mail (SQLite's
  // parser was a tenth of an ingest). Not for a statement still being stepped by a caller.
  Result<Statement*> cached(std::string_view sql);
  std::int64_t last_insert_id() const;
  int changes() const;
  // Whether a transaction is open on this connection.
  bool in_transaction() const;
  // Runs inside every Transaction, just before its COMMIT: what must be true of every committed
  // state (the search index's scopes, lib/store/search_index.cc). A failure rolls the transaction back.
  void set_before_commit(std::function<Result<void>()> f) { before_commit_ = std::move(f); }

  // Values read or written on this connection that do not change once committed (the search
  // index's term ids), kept to skip a query per mail. Emptied whenever a transaction of this
  // connection rolls back (sqlite3_rollback_hook), so it never holds what a rollback undid.
  std::map<std::string, std::int64_t, std::less<>>& memo() { return connection_->memo; }

  // A write into a full-text (FTS5) table, kept until the transaction commits and then run in
  // the order given: FTS5 writes its pending terms out as a new segment before every statement
  // that opens a statement journal (an UPDATE whose trigger fires, as most mails' do), so written
  // as they come, every mail made a segment to merge; written together, a batch makes a few.
  // Outside a transaction it runs at once. A rollback forgets it. `sql` binds ?1 to `rowid` and
  // ?2… to `texts`.
  struct DeferredWrite {
    const char* sql;
    std::int64_t rowid;
    std::vector<std::string> texts;
  };
  Result<void> defer_write(DeferredWrite w);

  // Error for the last failed call on this connection, classified for exit codes. The system's own
  // reason is added when SQLite has one ("No space left on device").
  Error error(std::string_view what) const;

  // Copies every page of `from` (one read snapshot of it) over this database, through SQLite's
  // online backup: this connection's journal makes the copy atomic. Returns the page count.
  Result<std::int64_t> copy_from(Database& from);

 private:
  explicit Database(sqlite3* db);
  friend class Transaction;
  sqlite3* db_ = nullptr;
  std::map<std::string, Statement, std::less<>> cache_;
  std::function<Result<void>()> before_commit_;
  Result<void> run_deferred_writes();
  // What lives as long as the connection and a rollback empties. On the heap: the rollback hook
  // holds its address, which a move must not change.
  struct Connection {
    std::map<std::string, std::int64_t, std::less<>> memo;
    std::vector<DeferredWrite> writes;
  };
  std::unique_ptr<Connection> connection_;
};

// Maps an SQLite (extended) result code to an Errc.
Errc classify_sqlite_error(int code);

// BEGIN IMMEDIATE … COMMIT, rolled back on destruction unless committed.
// IMMEDIATE takes the write lock up front, so a busy database waits in busy_timeout
// instead of failing half-way through a transaction.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;
};

// BEGIN … COMMIT around reads: every statement sees the same state of the database (a search's
// index and the requests it joins), and the connection takes its shared locks once rather than
// for each statement (80 statements of a search, 200 fcntl calls). Nothing when a transaction is
// already open: the reads are that transaction's.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Database& db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Database* db_ = nullptr;  // set when this snapshot began the transaction
};

}  // namespace guichet::store
