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
  // The source hands each message over as it arrives; this thread waits for room in the queue, so
  // the server is never read more than `depth` messages ahead of the ingest.
  auto r = source_.fetch_each(uids_, uidvalidity_, [this](std::uint32_t uid, std::string& raw) {
    if (stop_ && stop_()) return false;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < depth_ || abort_; });
    if (abort_) return false;
    queue_.push_back(Fetched{uid, std::move(raw)});
    cv_.notify_all();
    return true;
  });
  std::lock_guard lock(mu_);
  if (!r && !abort_) queue_.push_back(Fetched{0, r.error()});  // handed out after what came before it
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
