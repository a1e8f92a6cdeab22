// An IMAP folder: the commands guichet needs, over one connection of its own
// (transport/imap_connection.h) that is reused for every command of every poll.
//
// - Messages are found and fetched by UID, never by sequence number or \Seen, and fetched with
//   BODY.PEEK[], in bulk over UID sets: a human's unread mail stays unread, with no flag to put
//   back, and a whole poll costs a handful of commands whatever the number of messages.
// - The folder is SELECTed once per connection and again by status(), each poll: its
//   UIDVALIDITY is checked before any fetch (Errc::data when the folder was recreated).
// - Folder names are quoted and written in modified UTF-7 ("Traité" is "Trait&AOk-"); UID sets
//   are cut so that no command line is longer than servers accept.
// - A command that fails on a connection the server dropped is sent once more on a new one.
// docs/imap.md tells the whole conversation.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "transport/imap_connection.h"
#include "transport/source.h"
#include "util/result.h"

namespace guichet::transport {

struct ImapStatus {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 0;
  std::uint32_t messages = 0;
};

class ImapMailbox {
 public:
  explicit ImapMailbox(ImapSettings s);

  const std::string& folder() const { return folder_; }
  // Drops the connection: the next command reconnects and logs in again.
  void reset();

  // SELECTs the folder afresh: what it holds now.
  Result<ImapStatus> status();
  Result<std::set<std::string>> capabilities();
  // UIDs greater than `after`, ascending.
  Result<std::vector<std::uint32_t>> uids_after(std::uint32_t after);
  // UIDs of mail received on or after `date` (YYYY-MM-DD), ascending.
  Result<std::vector<std::uint32_t>> uids_since(const std::string& date);
  // Which of `uids` carry \Seen.
  Result<std::set<std::uint32_t>> seen(const std::vector<std::uint32_t>& uids);
  // The flags of each UID ("\\Seen", "$Guichet"…).
  Result<std::map<std::uint32_t, std::set<std::string>>> flags(const std::vector<std::uint32_t>& uids);
  // The whole message. Errc::data when UIDVALIDITY is no longer `uidvalidity` or the UID is gone.
  Result<std::string> fetch(std::uint32_t uid, std::uint32_t uidvalidity);
  // Every message of `uids`, in UID order, each handed to `each` as soon as it has arrived (false
  // stops). UIDs no longer in the folder are skipped.
  Result<void> fetch_each(const std::vector<std::uint32_t>& uids, std::uint32_t uidvalidity,
                          const std::function<bool(std::uint32_t, std::string&)>& each);
  // `+FLAGS.SILENT` or `-FLAGS.SILENT` over a UID set.
  Result<void> store_flags(const std::vector<std::uint32_t>& uids, bool add, const std::string& flags);
  // UID MOVE when the server offers it, else UID COPY, \Deleted and UID EXPUNGE.
  Result<void> move(const std::vector<std::uint32_t>& uids, const std::string& folder);
  // IDLE on the folder (ImapConnection::idle): true when new mail may have come.
  Result<bool> idle(std::chrono::milliseconds max, const std::function<bool()>& stop);

  // "5,7,9:12"
  static std::string uid_set(std::vector<std::uint32_t> uids);
  // RFC 3501 modified UTF-7 of a UTF-8 folder name.
  static std::string mutf7(const std::string& utf8);

 private:
  Result<void> select();
  Result<void> select_if_needed();
  // One command on the selected folder (or none), sent again once on a new connection when the
  // old one was dropped.
  Result<std::vector<ImapLine>> command(const std::string& command, bool on_folder = true);

  ImapConnection conn_;
  std::string folder_;
  std::uint64_t selected_in_ = 0;  // the connection's generation when the folder was selected
  bool just_selected_ = false;     // no command since the last SELECT: its view is fresh
  ImapStatus selected_status_;
};

// The folder as a mail source (transport/source.h): the poller's view of it.
std::unique_ptr<Source> make_imap_source(ImapSettings settings);

}  // namespace guichet::transport
