// An advisory lock on a file next to the database: held by `guichet serve` for as long as it runs,
// so that a second daemon on the same database (each mail fetched twice) and a restore under a
// running daemon are refused with the holder's pid instead of racing.
#pragma once

#include <string>

#include "util/result.h"

namespace guichet {

class FileLock {
 public:
  // Takes the lock on `path` (created when missing) without waiting; the file then holds our pid.
  // Errc::temp_fail when another process holds it, naming its pid.
  static Result<FileLock> acquire(const std::string& path);
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The lock file of the daemon working on the database at `database`.
inline std::string daemon_lock_path(const std::string& database) { return database + ".lock"; }

}  // namespace guichet
