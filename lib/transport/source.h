// A mail source: a folder guichet takes mail from, by UID, and tells once the mail is committed.
//
// Two implementations, built by engine::make_source() from a configured mailbox: an IMAP folder
// (transport/imap.h: UIDs and UIDVALIDITY are the server's, durable across connections) and a
// Maildir (new/ in file-name order; its "UIDs" are positions in one listing only). The poller
// (engine/poll.h) holds the never-lose, never-twice loop and sees only this interface, so that loop
// is unit-tested with an in-memory source.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "util/result.h"

namespace guichet::transport {

struct FolderStatus {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 0;
  std::uint32_t messages = 0;
};

// What the source does with a message once it is committed (the mailbox's `after:`).
struct After {
  enum class Kind { flag, seen, leave, move };
  Kind kind = Kind::flag;
  std::string folder;  // move
};

// A committed message the source has not been told about yet.
struct Owed {
  std::uint32_t uid = 0;
  bool was_seen = false;  // \Seen as a human left it, before our fetch
};

// Waits for new mail on a connection of its own (IMAP IDLE, inotify on a Maildir), so that the
// poller can run at once instead of at its next interval. The poll stays: a watcher that fails
// or goes quiet only delays mail to the next poll.
class Watcher {
 public:
  virtual ~Watcher() = default;
  // Until new mail may have come (true), `max` passed (false), or `stop` said so (false).
  virtual Result<bool> wait(std::chrono::milliseconds max, const std::function<bool()>& stop) = 0;
  virtual std::string describe() const = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // "imap://host/INBOX", "maildir:///var/mail/urbanisme", for logs.
  virtual std::string describe() const = 0;
  // True when UIDs are durable (IMAP): the poller then records the last UID committed and the
  // actions owed, so that a crash finishes them on the next poll. False (Maildir): a message is
  // found again while it stays where it was, and becomes a duplicate.
  virtual bool durable_uids() const = 0;

  virtual Result<FolderStatus> status() = 0;
  // UIDs greater than `after`, ascending.
  virtual Result<std::vector<std::uint32_t>> uids_after(std::uint32_t after) = 0;
  // UIDs of mail received on or after `date` (YYYY-MM-DD), ascending: the first run's `since:`.
  virtual Result<std::vector<std::uint32_t>> uids_since(const std::string& date) = 0;
  // Which of `uids` a human has already opened (\Seen).
  virtual Result<std::set<std::uint32_t>> seen(const std::vector<std::uint32_t>& uids) = 0;
  // The whole message, byte for byte. Errc::data when UIDVALIDITY is no longer `uidvalidity`.
  virtual Result<std::string> fetch(std::uint32_t uid, std::uint32_t uidvalidity) = 0;
  // Every message of `uids` in order, each handed to `each` as it arrives (false stops); a UID no
  // longer there is skipped. The default fetches one by one; IMAP asks for all of them at once.
  virtual Result<void> fetch_each(const std::vector<std::uint32_t>& uids, std::uint32_t uidvalidity,
                                  const std::function<bool(std::uint32_t, std::string&)>& each) {
    for (std::uint32_t uid : uids) {
      auto raw = fetch(uid, uidvalidity);
      if (!raw) return raw.error();
      if (!each(uid, *raw)) return {};
    }
    return {};
  }
  // A watcher for this source, or nullptr when it has none.
  virtual std::unique_ptr<Watcher> watcher() const { return nullptr; }
  // Tells the source that `owed` are committed: flags, \Seen put back as a human left it, a move.
  virtual Result<void> finish(const std::vector<Owed>& owed, const After& after) = 0;
  // Where message `uid` was read from, for the message's sources ("3/17", a file name).
  virtual std::string location(std::uint32_t uidvalidity, std::uint32_t uid) const = 0;
  // Drops the connection: the next call reconnects.
  virtual void reset() = 0;
};

}  // namespace guichet::transport
