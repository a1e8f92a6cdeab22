// Fetching ahead: a thread of its own fetches and parses the next messages (at most `depth` ahead,
// engine::parse_mail) while the caller threads, routes and stores the current one, so that the
// network, the parsing and the database work at the same time. The source belongs to that thread
// until the Prefetcher is destroyed (which stops and joins it); nothing fetched reaches the
// server's flags before the caller commits it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/ingest.h"
#include "mail/parse.h"
#include "transport/source.h"

namespace guichet::engine {

class Prefetcher {
 public:
  struct Fetched {
    std::uint32_t uid;
    Result<ParsedMail> mail;
  };

  Prefetcher(transport::Source& source, std::vector<std::uint32_t> uids, std::uint32_t uidvalidity, size_t depth,
             mail::ParseLimits limits, std::function<bool()> stop);
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The next message in UID order; nullopt once every UID was handed out, after a failed fetch
  // (handed out first), or when `stop` said so.
  std::optional<Fetched> next();

 private:
  void run();

  transport::Source& source_;
  const std::vector<std::uint32_t> uids_;
  const std::uint32_t uidvalidity_;
  const size_t depth_;
  const mail::ParseLimits limits_;
  const std::function<bool()> stop_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Fetched> queue_;
  bool fetching_ = true, abort_ = false;
  std::thread thread_;
};

}  // namespace guichet::engine
