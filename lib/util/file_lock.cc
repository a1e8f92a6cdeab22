#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace guichet {

Result<FileLock> FileLock::acquire(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Error{Errc::io, "cannot open " + path + ": " + std::strerror(errno)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) return Error{Errc::io, "cannot lock " + path + ": " + std::strerror(err)};
    const std::string pid(trim(std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0)));
    return Error{Errc::temp_fail, "guichet serve is running on this database" +
                                      (pid.empty() ? std::string() : " (pid " + pid + ")") + ", lock " + path};
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return Error{Errc::io, "cannot write " + path + ": " + std::strerror(err)};
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock; the file stays, empty of meaning
}

}  // namespace guichet
