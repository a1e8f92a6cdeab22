#include "engine/prefetch.h"

namespace guichet::engine {

Prefetcher::Prefetcher(transport::Source& source, std::vector<std::uint32_t> uids, std::uint32_t uidvalidity,
                       size_t depth, std::function<bool()> stop)
    : source_(source), uids_(std::move(uids)), uidvalidity_(uidvalidity), depth_(depth), stop_(std::move(stop)) {
  thread_ = std::thread([this] { run(); });
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard lock(mu_);
    abort_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Prefetcher::run() {
  for (std::uint32_t uid : uids_) {
    if (stop_ && stop_()) break;
    auto raw = source_.fetch(uid, uidvalidity_);
    const bool failed = !raw;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < depth_ || abort_; });
    if (abort_) break;
    queue_.push_back(Fetched{uid, std::move(raw)});
    cv_.notify_all();
    if (failed) break;
  }
  std::lock_guard lock(mu_);
  fetching_ = false;
  cv_.notify_all();
}

std::optional<Prefetcher::Fetched> Prefetcher::next() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || !fetching_; });
  if (queue_.empty()) return std::nullopt;
  Fetched f = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();
  return f;
}

}  // namespace guichet::engine
