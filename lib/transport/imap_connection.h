// One IMAP connection, spoken by hand over the socket libcurl opened and authenticated.
//
// libcurl 7.88's IMAP URLs can only fetch with BODY[] (which sets \Seen), one message per
// request, and cannot IDLE. In connect-only mode (CURLOPT_CONNECT_ONLY) it still does everything
// that is hard to get right, and stops there: DNS, TCP, implicit TLS or STARTTLS with certificate
// checks, the greeting, and the login (PLAIN, LOGIN or XOAUTH2). Every command after that is ours
// (RFC 3501), sent with curl_easy_send and read with curl_easy_recv through transport/imap_wire.h,
// which knows literals. docs/imap.md says why, and what each command is for.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "transport/credentials.h"
#include "transport/imap_wire.h"
#include "util/result.h"

namespace guichet::transport {

struct ImapSettings {
  std::string url;  // imap://host[:port]/Folder or imaps://…
  Credentials credentials;
  bool tls_required = true;  // imap:// then needs STARTTLS
  std::string ca_file;       // a CA to trust for the server's certificate (CURLOPT_CAINFO)
  int timeout_seconds = 60;  // connecting, and silence from the server in the middle of an answer
};

class ImapConnection {
 public:
  // Called with each untagged response as it arrives; false stops reading (the connection is
  // then closed, since the rest of the answer is still on its way).
  using Sink = std::function<bool(ImapLine&)>;

  explicit ImapConnection(ImapSettings s);
  ~ImapConnection();
  ImapConnection(const ImapConnection&) = delete;
  ImapConnection& operator=(const ImapConnection&) = delete;

  const ImapSettings& settings() const { return s_; }
  bool is_open() const { return handle_ != nullptr; }
  // Counts the logins: a folder selected under an older one is no longer selected.
  std::uint64_t generation() const { return generation_; }
  // Connects and logs in (Errc::temp_fail with curl's and the server's words when it cannot).
  Result<void> open();
  void close();
  // After open() failed: the step it stopped at ("resolve", "connect", "TLS", "login").
  const std::string& failed_step() const { return failed_step_; }
  // The server's capabilities after login, lower-case ("idle", "move", "uidplus").
  const std::set<std::string>& capabilities() const { return caps_; }

  // Sends one command and reads until its tagged answer. Untagged responses go to `sink` when
  // given, else they are returned. NO or BAD: Errc::data with the server's text; a connection
  // lost or silent for timeout_seconds: Errc::temp_fail, and the connection is closed.
  Result<std::vector<ImapLine>> run(const std::string& command, const Sink& sink = {});

  // IDLE (RFC 2177) on the selected folder until the server announces a change (EXISTS,
  // RECENT), `max` passes, or `stop` says so; then DONE. True when something changed.
  Result<bool> idle(std::chrono::milliseconds max, const std::function<bool()>& stop);

 private:
  Result<void> send(const std::string& bytes);
  // The next response; nullopt when `wait` passed without one (the connection stays open).
  Result<std::optional<ImapLine>> read(std::chrono::milliseconds wait);
  // The next response within timeout_seconds; silence closes the connection (`what` says where).
  Result<ImapLine> answer(const std::string& what);
  Result<void> fail_closed(const std::string& what);
  std::string next_tag();

  ImapSettings s_;
  void* handle_ = nullptr;
  int socket_ = -1;
  ImapReader reader_;
  std::string chunk_;  // what curl_easy_recv reads into
  std::set<std::string> caps_;
  std::uint64_t tags_ = 0;
  std::uint64_t generation_ = 0;
  std::string login_text_;  // what the server said during the login, for errors
  std::string failed_step_;
};

}  // namespace guichet::transport
