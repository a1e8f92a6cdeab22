// Backups a town's IT can trust: an online copy of the live database, checked before it is kept,
// and the same checks on any database file.
//
// The copy is SQLite's online backup of one read snapshot (WAL: the daemon keeps writing while it
// runs). It is written next to the target as TARGET.partial, checked (verify_database below), made
// durable, and only then renamed to TARGET: a target that exists is always a whole, checked copy.
// A full disk or a failed check removes the partial file and leaves the source untouched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace guichet::store {

struct VerifyReport {
  std::int64_t schema_version = 0;
  std::int64_t requests = 0, messages = 0, raw_messages = 0, blobs = 0, attachments = 0;
  std::int64_t bytes = 0;  // of the stored mail, as received
  // One line per problem, naming the table and row ("raw_messages 12 (message 40, request
  // 2026-000031): …"). At most kMaxProblems are kept; `more_problems` counts the rest.
  std::vector<std::string> problems;
  std::int64_t more_problems = 0;
  bool ok() const { return problems.empty(); }
};

inline constexpr std::size_t kMaxProblems = 200;

// Reads `path` without changing it (read-only, no migration): SQLite's integrity_check and
// foreign_key_check, then every stored mail rebuilt from its skeleton and blobs and compared to its
// SHA-256, every blob to its own, every attachment's and message's row to what it points at.
// An error is a file that cannot be read as a database at all; a damaged one gives a report.
Result<VerifyReport> verify_database(const std::string& path);

struct BackupReport {
  std::int64_t pages = 0;
  std::int64_t bytes = 0;  // of the copy
  VerifyReport verified;
};

// Copies the database at `source` into `target` as described above. Refuses when `target` is the
// source itself. The copy's check failing is an error (Errc::data) naming the first problems.
Result<BackupReport> backup_database(const std::string& source, const std::string& target);

// Puts the checked database `backup` in place of `live` through SQLite (so that the live file's WAL
// cannot be replayed over it). `live` is first copied, checked or not, to `keep_previous` when that is
// not empty. Refuses a backup that does not verify. The daemon must be stopped: a restore is
// the admin's decision, not something to race with.
Result<VerifyReport> restore_database(const std::string& backup, const std::string& live,
                                      const std::string& keep_previous);

}  // namespace guichet::store
