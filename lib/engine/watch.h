// Wakes the daemon as soon as a mailbox has new mail: one thread per mailbox whose source can
// wait for it (transport::Watcher: IMAP IDLE on a connection of its own, inotify on a Maildir).
// The threads only say "look now"; the daemon's loop still does every fetch and commit, so the
// never-lose, never-twice rules stay in one place, and a watcher that fails changes nothing but
// the delay (the poll goes on at its interval).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "transport/source.h"

namespace guichet::engine {

class MailWatch {
 public:
  MailWatch() = default;
  ~MailWatch();  // stops every thread and joins it
  MailWatch(const MailWatch&) = delete;
  MailWatch& operator=(const MailWatch&) = delete;

  // Watches mailbox `name`: each wait lasts at most `max_wait` (RFC 2177 asks to re-IDLE at
  // least every 29 minutes), and a failing watcher retries with a backoff of its own.
  void add(std::string name, std::unique_ptr<transport::Watcher> watcher, std::chrono::milliseconds max_wait);
  size_t size() const { return threads_.size(); }
  // True as soon as a mailbox has news, or false after `wait`.
  bool wait_for(std::chrono::milliseconds wait);
  // The mailboxes with news since the last call.
  std::set<std::string> take_news();

 private:
  void run(const std::string& name, transport::Watcher& watcher, std::chrono::milliseconds max_wait);

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> news_;
  std::vector<std::unique_ptr<transport::Watcher>> watchers_;
  std::vector<std::thread> threads_;
};

}  // namespace guichet::engine
