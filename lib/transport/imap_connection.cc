#include "transport/imap_connection.h"

#include <poll.h>
#include "transport/curl_api.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "util/strings.h"

namespace guichet::transport {

namespace {

constexpr size_t kReadChunk = 256 * 1024;

// What the server answered during the login when it refused ("A002 NO [AUTHENTICATIONFAILED] …"):
// only curl's debug lines show it.
int login_lines(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  const auto sp = line.find(' ');
  if (sp != std::string::npos && line[0] != '*' && line[0] != '+') {
    std::string rest = line.substr(sp + 1);
    if (rest.rfind("NO", 0) == 0 || rest.rfind("BAD", 0) == 0) *static_cast<std::string*>(user) = rest;
  }
  return 0;
}

// imap://host:port/Folder → imap://host:port/ (curl needs a path to know the scheme's defaults).
std::string server_url(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t path = scheme_end == std::string::npos ? std::string::npos : url.find('/', scheme_end + 3);
  return (path == std::string::npos ? url : url.substr(0, path)) + "/";
}

// The first word of a command, for messages ("UID FETCH", "SELECT").
std::string verb_of(const std::string& command) {
  std::string verb = command.substr(0, command.find(' '));
  if (verb == "UID") {
    const size_t sp = command.find(' ', 4);
    verb = command.substr(0, sp);
  }
  return verb;
}

}  // namespace

ImapConnection::ImapConnection(ImapSettings s) : s_(std::move(s)) {}

ImapConnection::~ImapConnection() { close(); }

void ImapConnection::close() {
  if (handle_) curl()->easy_cleanup(static_cast<CURL*>(handle_));
  handle_ = nullptr;
  socket_ = -1;
  reader_ = ImapReader{};
  caps_.clear();
}

Result<void> ImapConnection::open() {
  if (handle_) return {};
  const auto& lib = curl();
  if (!lib) return lib.error();  // once loaded, the other members' curl() calls cannot fail
  const CurlApi& api = *lib;
  CURL* h = api.easy_init();
  if (!h) return make_error(Errc::temp_fail, "curl_easy_init failed");
  const std::string url = server_url(s_.url);
  api.easy_setopt(h, CURLOPT_URL, url.c_str());
  const Credentials& c = s_.credentials;
  // A token fetched from the identity provider first: when it refuses, that is the step that
  // failed, and no connection is made.
  auto bearer = c.current_bearer();
  if (!bearer) {
    api.easy_cleanup(h);
    failed_step_ = "OAuth2";
    return make_error(Errc::temp_fail, bearer.error().message);
  }
  if (!c.user.empty()) api.easy_setopt(h, CURLOPT_USERNAME, c.user.c_str());
  if (!bearer->empty()) {
    api.easy_setopt(h, CURLOPT_XOAUTH2_BEARER, bearer->c_str());
    api.easy_setopt(h, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
  } else if (!c.password.empty()) {
    api.easy_setopt(h, CURLOPT_PASSWORD, c.password.c_str());
  }
  // imap:// never upgrades by itself: STARTTLS or nothing, unless the config says plain text.
  if (s_.tls_required && istarts_with(s_.url, "imap://"))
    api.easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!s_.ca_file.empty()) api.easy_setopt(h, CURLOPT_CAINFO, s_.ca_file.c_str());
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(s_.timeout_seconds));
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  login_text_.clear();
  api.easy_setopt(h, CURLOPT_DEBUGFUNCTION, &login_lines);
  api.easy_setopt(h, CURLOPT_DEBUGDATA, &login_text_);
  api.easy_setopt(h, CURLOPT_VERBOSE, 1L);
  const CURLcode rc = api.easy_perform(h);
  api.easy_setopt(h, CURLOPT_VERBOSE, 0L);
  failed_step_.clear();
  if (rc != CURLE_OK) {
    // A server that closes the connection or answers NO to LOGIN after the greeting is a refused
    // login, whatever curl calls it.
    failed_step_ = !login_text_.empty() ? "login" : transport::failed_step(rc);
    if (failed_step_ == "login") c.refused();
    std::string what = url + ": " + api.easy_strerror(rc);
    if (!login_text_.empty()) what += ": " + login_text_;
    api.easy_cleanup(h);
    return make_error(Errc::temp_fail, what);
  }
  curl_socket_t sock = CURL_SOCKET_BAD;
  if (api.easy_getinfo(h, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK || sock == CURL_SOCKET_BAD) {
    api.easy_cleanup(h);
    return make_error(Errc::temp_fail, url + ": no socket after login");
  }
  handle_ = h;
  socket_ = static_cast<int>(sock);
  ++generation_;
  auto caps = run("CAPABILITY");
  if (!caps) return caps.error();
  for (const ImapLine& line : *caps) {
    if (!istarts_with(line.text, "* CAPABILITY ")) continue;
    std::istringstream words(line.text.substr(13));
    for (std::string w; words >> w;) caps_.insert(to_lower(w));
  }
  return {};
}

std::string ImapConnection::next_tag() {
  const std::string n = std::to_string(++tags_);
  std::string tag = "g";
  if (n.size() < 4) tag.append(4 - n.size(), '0');
  return tag.append(n);
}

Result<void> ImapConnection::fail_closed(const std::string& what) {
  close();
  return make_error(Errc::temp_fail, server_url(s_.url) + ": " + what);
}

Result<void> ImapConnection::send(const std::string& bytes) {
  CURL* h = static_cast<CURL*>(handle_);
  size_t off = 0;
  while (off < bytes.size()) {
    size_t n = 0;
    const CURLcode rc = curl()->easy_send(h, bytes.data() + off, bytes.size() - off, &n);
    if (rc == CURLE_AGAIN) {
      pollfd p{socket_, POLLOUT, 0};
      if (::poll(&p, 1, s_.timeout_seconds * 1000) <= 0) return fail_closed("cannot send: the server does not read");
      continue;
    }
    if (rc != CURLE_OK) return fail_closed(std::string("cannot send: ") + curl()->easy_strerror(rc));
    off += n;
  }
  return {};
}

Result<std::optional<ImapLine>> ImapConnection::read(std::chrono::milliseconds wait) {
  CURL* h = static_cast<CURL*>(handle_);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  if (chunk_.size() != kReadChunk) chunk_.assign(kReadChunk, '\0');  // once per connection, not per line
  for (;;) {
    if (auto line = reader_.next()) return std::optional<ImapLine>(std::move(*line));
    size_t n = 0;
    const CURLcode rc = curl()->easy_recv(h, chunk_.data(), chunk_.size(), &n);
    if (rc == CURLE_OK && n == 0) {
      auto r = fail_closed("the server closed the connection");
      return r.error();
    }
    if (rc == CURLE_OK) {
      reader_.feed(chunk_.data(), n);
      continue;
    }
    if (rc != CURLE_AGAIN) {
      auto r = fail_closed(std::string("cannot read: ") + curl()->easy_strerror(rc));
      return r.error();
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<ImapLine>();
    pollfd p{socket_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready == 0) return std::optional<ImapLine>();
    if (ready < 0 && errno != EINTR) {
      auto r = fail_closed("poll failed");
      return r.error();
    }
  }
}

Result<ImapLine> ImapConnection::answer(const std::string& what) {
  auto line = read(std::chrono::seconds(s_.timeout_seconds));
  if (!line) return line.error();
  if (!*line) {
    auto r = fail_closed(what + ": no answer for " + std::to_string(s_.timeout_seconds) + " s");
    return r.error();
  }
  return std::move(**line);
}

Result<std::vector<ImapLine>> ImapConnection::run(const std::string& command, const Sink& sink) {
  if (auto r = open(); !r) return r.error();
  const std::string tag = next_tag();
  if (auto r = send(tag + " " + command + "\r\n"); !r) return r.error();
  std::vector<ImapLine> lines;
  std::string bye;
  for (;;) {
    auto line = answer(verb_of(command));
    if (!line) {
      Error e = line.error();
      if (!bye.empty()) e.message += " (" + bye + ")";
      return e;
    }
    ImapLine& l = *line;
    if (const std::string status = tagged_status(l, tag); !status.empty()) {
      if (status == "OK") return lines;
      return make_error(Errc::data, verb_of(command) + ": " + l.text.substr(tag.size() + 1));
    }
    if (!l.untagged()) continue;  // a stray continuation: we never send literals
    if (istarts_with(l.text, "* BYE")) bye = l.text.substr(2);
    if (sink) {
      if (!sink(l)) {
        close();  // the rest of the answer is still coming: this connection is out of step
        return make_error(Errc::temp_fail, verb_of(command) + ": stopped before the end of the answer");
      }
      continue;
    }
    lines.push_back(std::move(l));
  }
}

Result<bool> ImapConnection::idle(std::chrono::milliseconds max, const std::function<bool()>& stop) {
  if (auto r = open(); !r) return r.error();
  if (!caps_.count("idle")) return make_error(Errc::config, server_url(s_.url) + ": the server does not offer IDLE");
  const std::string tag = next_tag();
  if (auto r = send(tag + " IDLE\r\n"); !r) return r.error();
  bool changed = false;
  auto news = [&](const ImapLine& l) {
    if (untagged_number(l, "EXISTS") || untagged_number(l, "RECENT").value_or(0) > 0) changed = true;
  };
  // Until the server says it idles ("+ idling").
  for (;;) {
    auto line = answer("IDLE");
    if (!line) return line.error();
    if (line->continuation()) break;
    if (const std::string status = tagged_status(*line, tag); !status.empty())
      return make_error(Errc::data, "IDLE: " + line->text.substr(tag.size() + 1));
    news(*line);
  }
  // Short steps, so that a stop is noticed within a fifth of a second.
  const auto deadline = std::chrono::steady_clock::now() + max;
  while (!changed && !(stop && stop()) && std::chrono::steady_clock::now() < deadline) {
    auto line = read(std::chrono::milliseconds(200));
    if (!line) return line.error();
    if (*line) news(**line);
  }
  if (auto r = send("DONE\r\n"); !r) return r.error();
  for (;;) {
    auto line = answer("IDLE, DONE");
    if (!line) return line.error();
    if (const std::string status = tagged_status(*line, tag); !status.empty()) {
      if (status == "OK") return changed;
      return make_error(Errc::data, "IDLE: " + line->text.substr(tag.size() + 1));
    }
    news(*line);
  }
}

}  // namespace guichet::transport
