#include "store/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "store/raw_codec.h"
#include "store/sqlite.h"
#include "util/sha256.h"

namespace guichet::store {

namespace {

namespace fs = std::filesystem;

class Problems {
 public:
  explicit Problems(VerifyReport& r) : r_(r) {}
  void add(std::string line) {
    if (r_.problems.size() < kMaxProblems)
      r_.problems.push_back(std::move(line));
    else
      ++r_.more_problems;
  }

 private:
  VerifyReport& r_;
};

Result<std::int64_t> scalar(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return *row ? st->int64(0) : 0;
}

// Every row of a pragma that reports problems; "ok" alone means none.
Result<void> pragma_check(Database& db, const std::string& pragma, Problems& out) {
  auto st = db.prepare("PRAGMA " + pragma);
  if (!st) return st.error();
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return {};
    if (pragma == "integrity_check") {
      if (st->text(0) != "ok") out.add("integrity_check: " + st->text(0));
    } else {  // foreign_key_check: table, rowid, parent, fkid
      out.add("foreign_key_check: " + st->text(0) + " " + st->text(1) + " points at a missing " + st->text(2) + " row");
    }
  }
}

// Which message and request a raw copy belongs to, for a line an admin can act on.
Result<std::map<std::int64_t, std::string>> raw_owners(Database& db) {
  std::map<std::int64_t, std::string> owners;
  auto st = db.prepare(
      "SELECT m.raw_id, m.id, r.reference FROM messages m JOIN requests r ON r.id = m.request_id ORDER BY m.id");
  if (!st) return st.error();
  auto r = st->each([&](const Statement& row) {
    owners.try_emplace(row.int64(0), "message " + std::to_string(row.int64(1)) + ", request " + row.text(2));
  });
  if (!r) return r.error();
  return owners;
}

Result<void> check_blobs(Database& db, VerifyReport& report, Problems& out) {
  auto st = db.prepare("SELECT id, sha256, size, data FROM blobs ORDER BY id");
  if (!st) return st.error();
  return st->each([&](const Statement& row) {
    ++report.blobs;
    const std::string data = row.blob(3);
    const std::string where = "blobs " + std::to_string(row.int64(0));
    if (static_cast<std::int64_t>(data.size()) != row.int64(2))
      out.add(where + ": " + std::to_string(data.size()) + " bytes stored, " + std::to_string(row.int64(2)) +
              " recorded");
    else if (sha256_hex(data) != row.text(1))
      out.add(where + ": content does not match its SHA-256 " + row.text(1));
  });
}

Result<void> check_raw_messages(Database& db, VerifyReport& report, Problems& out) {
  auto owners = raw_owners(db);
  if (!owners) return owners.error();
  auto blob = db.prepare("SELECT data FROM blobs WHERE sha256 = ?1");
  if (!blob) return blob.error();
  auto fetch = [&](const std::string& sha) -> std::optional<std::string> {
    blob->reset();
    blob->bind(1, sha);
    auto row = blob->step();
    if (!row || !*row) return std::nullopt;
    return blob->blob(0);
  };
  auto st = db.prepare("SELECT id, encoding, holes, data, size, sha256 FROM raw_messages ORDER BY id");
  if (!st) return st.error();
  return st->each([&](const Statement& row) {
    ++report.raw_messages;
    const std::int64_t id = row.int64(0);
    auto owner = owners->find(id);
    const std::string where = "raw_messages " + std::to_string(id) + " (" +
                              (owner == owners->end() ? std::string("no message") : owner->second) + ")";
    EncodedRaw enc{row.text(1), row.text(2), row.blob(3), static_cast<std::size_t>(row.int64(4))};
    report.bytes += row.int64(4);
    auto mail = decode_raw(enc, fetch);
    if (!mail)
      out.add(where + ": cannot be rebuilt: " + mail.error().message);
    else if (sha256_hex(*mail) != row.text(5))
      out.add(where + ": the rebuilt mail does not match its SHA-256");
  });
}

Result<void> check_rows(Database& db, Problems& out) {
  // Links the schema states without a foreign key, or that foreign_key_check cannot see.
  struct Check {
    const char* sql;
    const char* what;
  };
  static const Check checks[] = {
      {"SELECT m.id FROM messages m LEFT JOIN raw_messages r ON r.id = m.raw_id WHERE r.id IS NULL", "has no raw copy"},
      {"SELECT m.id FROM messages m LEFT JOIN requests q ON q.id = m.request_id WHERE q.id IS NULL",
       "belongs to no request"},
      {"SELECT a.message_id FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256 WHERE b.id IS NULL",
       "lists an attachment whose content is missing"},
  };
  for (const Check& c : checks) {
    auto st = db.prepare(c.sql);
    if (!st) return st.error();
    auto r =
        st->each([&](const Statement& row) { out.add("messages " + std::to_string(row.int64(0)) + " " + c.what); });
    if (!r) return r;
  }
  return {};
}

Result<void> sync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Error{Errc::io, "cannot open " + path + ": " + std::strerror(errno)};
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error{Errc::io, "cannot write " + path + " to disk: " + std::strerror(err)};
  return {};
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

void remove_partial(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(path + suffix, ec);
}

std::string first_problems(const VerifyReport& v) {
  std::string s;
  for (std::size_t i = 0; i < v.problems.size() && i < 3; ++i) s += (i ? "; " : "") + v.problems[i];
  const std::int64_t rest = static_cast<std::int64_t>(v.problems.size()) - 3 + v.more_problems;
  if (rest > 0) s += "; and " + std::to_string(rest) + " more";
  return s;
}

}  // namespace

Result<VerifyReport> verify_database(const std::string& path) {
  if (!fs::exists(path)) return Error{Errc::no_input, "no database at " + path};
  auto db = Database::open(path, Database::Mode::read_only);
  if (!db) return db.error();
  VerifyReport report;
  auto version = scalar(*db, "PRAGMA user_version");
  if (!version) return Error{version.error().code, path + " is not a readable database: " + version.error().message};
  report.schema_version = *version;
  if (*version == 0) return Error{Errc::data, path + " holds no guichet data"};
  Problems out(report);
  // A read transaction: every check sees the same state even while the daemon writes.
  if (auto r = db->exec("BEGIN"); !r) return r.error();
  if (auto r = pragma_check(*db, "integrity_check", out); !r) return r.error();
  if (auto r = pragma_check(*db, "foreign_key_check", out); !r) return r.error();
  for (auto [table, field] :
       {std::pair{"requests", &VerifyReport::requests}, std::pair{"messages", &VerifyReport::messages},
        std::pair{"attachments", &VerifyReport::attachments}}) {
    auto n = scalar(*db, std::string("SELECT count(*) FROM ") + table);
    if (!n) return n.error();
    report.*field = *n;
  }
  if (auto r = check_blobs(*db, report, out); !r) return r.error();
  if (auto r = check_raw_messages(*db, report, out); !r) return r.error();
  if (auto r = check_rows(*db, out); !r) return r.error();
  if (auto r = db->exec("COMMIT"); !r) return r.error();
  return report;
}

Result<BackupReport> backup_database(const std::string& source, const std::string& target) {
  if (!fs::exists(source)) return Error{Errc::no_input, "no database at " + source};
  if (same_file(source, target)) return Error{Errc::usage, "the backup cannot be the database itself"};
  const fs::path dir = fs::absolute(target).parent_path();
  if (!fs::is_directory(dir)) return Error{Errc::no_input, "no folder " + dir.string() + " for the backup"};
  const std::string partial = target + ".partial";
  remove_partial(partial);  // what an interrupted run left
  BackupReport report;
  {
    auto from = Database::open(source, Database::Mode::read_only);
    if (!from) return from.error();
    auto to = Database::open(partial, Database::Mode::read_write);
    if (!to) return to.error();
    auto pages = to->copy_from(*from);
    if (!pages) {
      Error e = pages.error();
      to = Error{};  // closes the connection before its files go
      remove_partial(partial);
      return Error{e.code, "cannot write the backup " + target + ": " + e.message};
    }
    report.pages = *pages;
  }
  auto verified = verify_database(partial);
  if (!verified || !verified->ok()) {
    remove_partial(partial);
    if (!verified) return Error{verified.error().code, "cannot check the backup: " + verified.error().message};
    return Error{Errc::data, "the copy does not verify, nothing was kept: " + first_problems(*verified)};
  }
  report.verified = std::move(*verified);
  if (auto r = sync_path(partial, O_RDONLY); !r) {
    remove_partial(partial);
    return r.error();
  }
  std::error_code ec;
  fs::rename(partial, target, ec);
  if (ec) {
    remove_partial(partial);
    return Error{Errc::io, "cannot put the backup in place at " + target + ": " + ec.message()};
  }
  if (auto r = sync_path(dir.string(), O_RDONLY | O_DIRECTORY); !r) return r.error();
  report.bytes = static_cast<std::int64_t>(fs::file_size(target, ec));
  return report;
}

Result<VerifyReport> restore_database(const std::string& backup, const std::string& live,
                                      const std::string& keep_previous) {
  if (same_file(backup, live)) return Error{Errc::usage, "the backup is the database itself"};
  auto verified = verify_database(backup);
  if (!verified) return verified.error();
  if (!verified->ok())
    return Error{Errc::data, backup + " does not verify, nothing was restored: " + first_problems(*verified)};
  if (!keep_previous.empty() && fs::exists(live)) {
    auto from = Database::open(live, Database::Mode::read_only);
    if (!from) return from.error();
    auto to = Database::open(keep_previous, Database::Mode::read_write);
    if (!to) return to.error();
    if (auto r = to->copy_from(*from); !r)
      return Error{r.error().code, "cannot keep the current database at " + keep_previous + ": " + r.error().message};
  }
  auto from = Database::open(backup, Database::Mode::read_only);
  if (!from) return from.error();
  auto to = Database::open(live, Database::Mode::read_write);
  if (!to) return to.error();
  if (auto r = to->copy_from(*from); !r) return Error{r.error().code, "cannot restore: " + r.error().message};
  return verified;
}

}  // namespace guichet::store
