#include "transport/probe.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <ctime>
#include <filesystem>

#include "util/strings.h"

namespace guichet::transport {

namespace fs = std::filesystem;

std::optional<ProbeStep> oauth2_step(const Credentials& c) {
  if (!c.oauth2) return std::nullopt;
  auto token = c.current_bearer();
  if (!token) return ProbeStep{"OAuth2", false, token.error().message};
  const std::int64_t minutes = (c.oauth2->expires_at() - std::time(nullptr)) / 60;
  return ProbeStep{"OAuth2", true,
                   "a token from " + c.oauth2->token_url() + " for " + c.user + ", valid " + std::to_string(minutes) +
                       " min"};
}

// The host and port of scheme://[user@]host[:port]/…, with the scheme's port by default.
std::pair<std::string, std::string> host_and_port(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : to_lower(url.substr(0, scheme_end));
  size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const size_t end = url.find('/', start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (const size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  std::string host = authority, port;
  if (!authority.empty() && authority[0] == '[') {  // [::1]:993
    const size_t close = authority.find(']');
    host = authority.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else if (const size_t colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (port.empty())
    port = scheme == "imaps"   ? "993"
           : scheme == "imap"  ? "143"
           : scheme == "smtps" ? "465"
                               : "25";  // smtp:// without a port: 25, as libcurl
  return {host, port};
}

ProbeStep resolve_step(const std::string& url) {
  const auto [host, port] = host_and_port(url);
  if (host.empty()) return {"resolve", false, url + ": no host in the address"};
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return {"resolve", false, host + ": " + ::gai_strerror(rc)};
  std::string addresses;
  int shown = 0;
  for (addrinfo* a = found; a && shown < 4; a = a->ai_next, ++shown) {
    char text[INET6_ADDRSTRLEN] = "";
    const void* where = a->ai_family == AF_INET6
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr);
    ::inet_ntop(a->ai_family, where, text, sizeof text);
    if (addresses.find(text) != std::string::npos) continue;
    addresses += (addresses.empty() ? "" : ", ") + std::string(text);
  }
  ::freeaddrinfo(found);
  return {"resolve", true, host + " is " + addresses + ", port " + port};
}

std::vector<ProbeStep> probe_maildir(const std::string& path, const std::string& start) {
  std::vector<ProbeStep> steps;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    steps.push_back({"folder", false, path + ": not a folder" + (ec ? " (" + ec.message() + ")" : "")});
    return steps;
  }
  size_t counts[2] = {0, 0};
  const char* subs[2] = {"new", "cur"};
  for (int i = 0; i < 2; ++i) {
    const fs::path sub = fs::path(path) / subs[i];
    if (!fs::is_directory(sub, ec)) {
      steps.push_back({"folder", false, sub.string() + ": missing: a Maildir has tmp/, new/ and cur/"});
      return steps;
    }
    for (const auto& e : fs::directory_iterator(sub, ec))
      if (e.is_regular_file(ec)) ++counts[i];
    if (ec) {
      steps.push_back({"folder", false, sub.string() + ": " + ec.message()});
      return steps;
    }
  }
  steps.push_back({"folder", true,
                   path + ": " + std::to_string(counts[0]) + " in new/, " + std::to_string(counts[1]) + " in cur/"});
  // A Maildir source takes what new/ holds at every run (and moves it to cur/), whatever `start`.
  steps.push_back({"first run", true,
                   "the " + std::to_string(counts[0]) + " message(s) of new/ (start: " + start +
                       " applies to IMAP mailboxes only)"});
  return steps;
}

}  // namespace guichet::transport
