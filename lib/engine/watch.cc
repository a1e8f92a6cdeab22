#include "engine/watch.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "defaults/defaults.h"
#include "util/backoff.h"

namespace guichet::engine {

MailWatch::~MailWatch() {
  stopping_ = true;
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void MailWatch::add(std::string name, std::unique_ptr<transport::Watcher> watcher, std::chrono::milliseconds max_wait) {
  transport::Watcher& w = *watcher;
  watchers_.push_back(std::move(watcher));
  threads_.emplace_back([this, name = std::move(name), &w, max_wait] { run(name, w, max_wait); });
}

void MailWatch::run(const std::string& name, transport::Watcher& watcher, std::chrono::milliseconds max_wait) {
  int failures = 0;
  auto stopping = [this] { return stopping_.load(); };
  while (!stopping_) {
    auto r = watcher.wait(max_wait, stopping);
    if (r) {
      if (failures > 0) spdlog::info("mailbox {}: waiting for new mail works again ({})", name, watcher.describe());
      failures = 0;
      if (*r) {
        std::lock_guard lock(mu_);
        news_.insert(name);
        cv_.notify_all();
      }
      continue;
    }
    if (r.error().code == Errc::config) {  // the server cannot (no IDLE): the poll alone
      spdlog::info("mailbox {}: {}; new mail is taken at each poll", name, r.error().message);
      return;
    }
    if (++failures == 1)
      spdlog::warn("mailbox {}: waiting for new mail failed, the poll goes on: {}", name, r.error().message);
    const auto pause = std::chrono::seconds(
        backoff_seconds({defaults::watch_retry_seconds, defaults::mailbox_backoff_max_seconds}, failures));
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, pause, stopping);
  }
}

bool MailWatch::wait_for(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, wait, [this] { return !news_.empty() || stopping_.load(); }) && !news_.empty();
}

std::set<std::string> MailWatch::take_news() {
  std::lock_guard lock(mu_);
  return std::exchange(news_, {});
}

}  // namespace guichet::engine
