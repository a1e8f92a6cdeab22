#include "transport/maildir_source.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "transport/mail_files.h"

namespace guichet::transport {

namespace fs = std::filesystem;

namespace {

// inotify on new/: a file delivered there (renamed from tmp/, as every MDA does, or written in
// place) wakes the daemon at once.
class MaildirWatcher final : public Watcher {
 public:
  explicit MaildirWatcher(fs::path dir) : dir_(std::move(dir)) {}
  ~MaildirWatcher() override {
    if (fd_ >= 0) ::close(fd_);
  }
  MaildirWatcher(const MaildirWatcher&) = delete;
  MaildirWatcher& operator=(const MaildirWatcher&) = delete;

  std::string describe() const override { return "inotify on " + (dir_ / "new").string(); }

  Result<bool> wait(std::chrono::milliseconds max, const std::function<bool()>& stop) override {
    if (fd_ < 0) {
      fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      if (fd_ < 0) return make_error(Errc::config, std::string("inotify: ") + std::strerror(errno));
      const std::string watched = (dir_ / "new").string();
      if (inotify_add_watch(fd_, watched.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        const std::string why = std::strerror(errno);
        ::close(fd_);
        fd_ = -1;
        return make_error(Errc::temp_fail, watched + ": " + why);
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (!(stop && stop())) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 200))) > 0) {
        alignas(inotify_event) char events[4096];
        while (::read(fd_, events, sizeof events) > 0) {
        }
        return true;
      }
    }
    return false;
  }

 private:
  fs::path dir_;
  int fd_ = -1;
};

class MaildirSource final : public Source {
 public:
  explicit MaildirSource(std::string dir) : dir_(std::move(dir)) {}

  std::string describe() const override { return "maildir://" + dir_.string(); }
  bool durable_uids() const override { return false; }

  Result<FolderStatus> status() override {
    auto listed = list();
    if (!listed) return listed.error();
    return FolderStatus{0, static_cast<std::uint32_t>(files_.size() + 1), static_cast<std::uint32_t>(files_.size())};
  }

  // Every poll lists new/ again: UID n is the nth file of that listing.
  Result<std::vector<std::uint32_t>> uids_after(std::uint32_t) override {
    auto listed = list();
    if (!listed) return listed.error();
    std::vector<std::uint32_t> uids;
    for (size_t i = 0; i < files_.size(); ++i) uids.push_back(static_cast<std::uint32_t>(i + 1));
    return uids;
  }
  Result<std::vector<std::uint32_t>> uids_since(const std::string&) override { return uids_after(0); }
  Result<std::set<std::uint32_t>> seen(const std::vector<std::uint32_t>&) override {
    return std::set<std::uint32_t>{};  // new/ holds what nobody has read
  }

  Result<std::string> fetch(std::uint32_t uid, std::uint32_t) override {
    const fs::path* f = file(uid);
    if (!f) return make_error(Errc::software, "maildir: no message " + std::to_string(uid) + " in this listing");
    return read_one(f->string());
  }

  Result<void> finish(const std::vector<Owed>& owed, const After& after) override {
    fs::path target_dir = dir_ / "cur";
    if (after.kind == After::Kind::move) target_dir = dir_ / ("." + after.folder) / "cur";  // Maildir++
    std::error_code ec;
    fs::create_directories(target_dir, ec);
    const std::string info = after.kind == After::Kind::seen ? ":2,S" : ":2,";
    for (const Owed& o : owed) {
      const fs::path* f = file(o.uid);
      if (!f) continue;
      fs::rename(*f, target_dir / (f->filename().string() + info), ec);
      if (ec) return make_error(Errc::temp_fail, f->string() + ": " + ec.message());
    }
    return {};
  }

  std::string location(std::uint32_t, std::uint32_t uid) const override {
    const fs::path* f = file(uid);
    return f ? f->filename().string() : std::to_string(uid);
  }

  void reset() override {}
  std::unique_ptr<Watcher> watcher() const override { return std::make_unique<MaildirWatcher>(dir_); }

 private:
  Result<void> list() {
    files_.clear();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "new", ec))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files_.push_back(e.path());
    if (ec) return make_error(Errc::temp_fail, (dir_ / "new").string() + ": " + ec.message());
    std::sort(files_.begin(), files_.end());
    return {};
  }
  const fs::path* file(std::uint32_t uid) const {
    return uid >= 1 && uid <= files_.size() ? &files_[uid - 1] : nullptr;
  }

  fs::path dir_;
  std::vector<fs::path> files_;
};

}  // namespace

std::unique_ptr<Source> make_maildir_source(std::string dir) { return std::make_unique<MaildirSource>(std::move(dir)); }

}  // namespace guichet::transport
