// An IMAP mailbox over libcurl: one handle, so one connection and one login, reused for every
// command of every poll. Every trap of libcurl 7.88 with IMAP (docs/libraries.md, "libcurl, IMAP") is
// handled here and has a test (tests/unit/test_imap.cc, against a real Dovecot).
//
// - Messages are found and fetched by UID, never by sequence number or \Seen.
// - curl fetches with BODY[], which sets \Seen: flags are read first, and the caller restores
//   \Seen for mail that was unseen, once per poll over a UID set.
// - No SELECT or EXAMINE is ever sent by hand (curl would keep believing the old folder is
//   selected); the folder is always in the URL.
// - A NO or BAD answer only shows its text through the debug callback: it is kept for errors.
// - CURLOPT_BUFFERSIZE is raised before the first command (long SEARCH answers are cut otherwise).
// - '%' in a custom command is escaped (curl percent-decodes it); folder names are quoted and
//   written in modified UTF-7 ("Traité" is "Trait&AOk-").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "transport/credentials.h"
#include "transport/source.h"
#include "util/result.h"

namespace guichet::transport {

struct ImapSettings {
  std::string url;  // imap://host[:port]/Folder or imaps://…
  Credentials credentials;
  bool tls_required = true;  // imap:// then needs STARTTLS
  std::string ca_file;       // a CA to trust for the server's certificate (CURLOPT_CAINFO)
  int timeout_seconds = 60;
};

struct ImapStatus {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 0;
  std::uint32_t messages = 0;
};

class ImapMailbox {
 public:
  explicit ImapMailbox(ImapSettings s);
  ~ImapMailbox();
  ImapMailbox(const ImapMailbox&) = delete;
  ImapMailbox& operator=(const ImapMailbox&) = delete;

  const std::string& folder() const { return folder_; }
  // Drops the connection: the next command reconnects and logs in again.
  void reset();

  Result<ImapStatus> status();
  Result<std::set<std::string>> capabilities();
  // UIDs greater than `after`, ascending.
  Result<std::vector<std::uint32_t>> uids_after(std::uint32_t after);
  // UIDs of mail received on or after `date` (YYYY-MM-DD), ascending.
  Result<std::vector<std::uint32_t>> uids_since(const std::string& date);
  // Which of `uids` carry \Seen (UID SEARCH: a short answer, whatever the number of messages;
  // libcurl 7.88 fails on long custom FETCH answers).
  Result<std::set<std::uint32_t>> seen(const std::vector<std::uint32_t>& uids);
  // The flags of each UID ("\\Seen", "$Guichet"…), for a few UIDs.
  Result<std::map<std::uint32_t, std::set<std::string>>> flags(const std::vector<std::uint32_t>& uids);
  // The whole message. Fails (Errc::data) when UIDVALIDITY is no longer `uidvalidity`.
  Result<std::string> fetch(std::uint32_t uid, std::uint32_t uidvalidity);
  // `+FLAGS.SILENT` or `-FLAGS.SILENT` over a UID set, in one command.
  Result<void> store_flags(const std::vector<std::uint32_t>& uids, bool add, const std::string& flags);
  // UID MOVE when the server offers it, else UID COPY, \Deleted and UID EXPUNGE.
  Result<void> move(const std::vector<std::uint32_t>& uids, const std::string& folder);

  // "5,7,9:12"
  static std::string uid_set(std::vector<std::uint32_t> uids);
  // RFC 3501 modified UTF-7 of a UTF-8 folder name.
  static std::string mutf7(const std::string& utf8);

 private:
  Result<std::string> command(const std::string& url, const std::string& request);
  Result<std::string> perform(const std::string& url, const std::string& request);

  ImapSettings s_;
  std::string server_;  // imap://host:port
  std::string folder_;
  void* handle_ = nullptr;
  std::string server_text_;  // the last tagged NO/BAD, from the debug callback
  std::optional<std::set<std::string>> caps_;
};

// The folder as a mail source (transport/source.h): the poller's view of it.
std::unique_ptr<Source> make_imap_source(ImapSettings settings);

}  // namespace guichet::transport
