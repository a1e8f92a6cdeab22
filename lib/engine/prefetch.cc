#include "engine/prefetch.h"

#include <exception>
#include <string>

namespace guichet::engine {

Prefetcher::Prefetcher(transport::Source& source, std::vector<std::uint32_t> uids, std::uint32_t uidvalidity,
                       size_t depth, mail::ParseLimits limits, std::function<bool()> stop)
    : source_(source),
      uids_(std::move(uids)),
      uidvalidity_(uidvalidity),
      depth_(depth),
      limits_(limits),
      stop_(std::move(stop)) {
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
  // The source hands each message over as it arrives; it is parsed here, outside the lock, then
  // this thread waits for room in the queue, so the server is never read more than `depth`
  // messages ahead of the ingest. The consumer is woken only when it may be waiting (the queue was
  // empty), and this thread only when it may be (the queue was full): a futex call per message
  // is measurable at a few thousand a second.
  auto r = source_.fetch_each(uids_, uidvalidity_, [this](std::uint32_t uid, std::string& raw) {
    if (stop_ && stop_()) return false;
    Result<ParsedMail> parsed = Error{Errc::software, ""};
    try {
      parsed = parse_mail(std::move(raw), limits_);
    } catch (const std::exception& e) {
      // Not stored, not flagged: the caller stops this poll at it, and the next poll tries again.
      parsed = Error{Errc::software, "UID " + std::to_string(uid) + " could not be parsed: " + e.what()};
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < depth_ || abort_; });
    if (abort_) return false;
    queue_.push_back(Fetched{uid, std::move(parsed)});
    if (queue_.size() == 1) cv_.notify_all();
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
  if (queue_.size() + 1 == depth_) cv_.notify_all();
  return f;
}

}  // namespace guichet::engine
