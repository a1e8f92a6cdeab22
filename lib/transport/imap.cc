#include "transport/imap.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "util/strings.h"

namespace guichet::transport {

namespace {

size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

int debug_lines(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  // Tagged answers ("A005 NO [TRYCREATE] Mailbox doesn't exist") carry the reason of a failure.
  auto sp = line.find(' ');
  if (sp != std::string::npos && line[0] != '*' && line[0] != '+') {
    std::string rest = line.substr(sp + 1);
    if (rest.rfind("NO", 0) == 0 || rest.rfind("BAD", 0) == 0) *static_cast<std::string*>(user) = rest;
  }
  return 0;
}

std::string percent_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else
      out.push_back(c);
  }
  return out;
}

std::string url_path(const std::string& s) {
  std::string out;
  static const char hex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '&' || c == ',' || c == '+') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string quoted(const std::string& folder) {
  std::string out = "\"";
  for (char c : ImapMailbox::mutf7(folder)) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::vector<std::uint32_t> numbers_after(const std::string& text, const std::string& keyword) {
  std::vector<std::uint32_t> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("* " + keyword, 0) != 0) continue;
    std::istringstream words(line.substr(2 + keyword.size()));
    for (std::string w; words >> w;) {
      if (!w.empty() && std::all_of(w.begin(), w.end(), ::isdigit))
        out.push_back(static_cast<std::uint32_t>(std::stoul(w)));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

ImapMailbox::ImapMailbox(ImapSettings s) : s_(std::move(s)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  // imap://host:port/Folder → server and folder.
  const size_t scheme_end = s_.url.find("://");
  const size_t path = scheme_end == std::string::npos ? std::string::npos : s_.url.find('/', scheme_end + 3);
  server_ = path == std::string::npos ? s_.url : s_.url.substr(0, path);
  folder_ = path == std::string::npos ? "" : url_decode(s_.url.substr(path + 1));
  if (folder_.empty()) folder_ = "INBOX";
}

ImapMailbox::~ImapMailbox() {
  if (handle_) curl_easy_cleanup(static_cast<CURL*>(handle_));
}

void ImapMailbox::reset() {
  if (handle_) curl_easy_cleanup(static_cast<CURL*>(handle_));
  handle_ = nullptr;
  caps_.reset();
}

Result<std::string> ImapMailbox::perform(const std::string& url, const std::string& request) {
  if (!handle_) {
    CURL* h = curl_easy_init();
    if (!h) return make_error(Errc::temp_fail, "curl_easy_init failed");
    handle_ = h;
    // Before the first perform, or long SEARCH answers are cut without an error.
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    const Credentials& c = s_.credentials;
    if (!c.user.empty()) curl_easy_setopt(h, CURLOPT_USERNAME, c.user.c_str());
    if (!c.bearer.empty()) {
      curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, c.bearer.c_str());
      curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
    } else if (!c.password.empty()) {
      curl_easy_setopt(h, CURLOPT_PASSWORD, c.password.c_str());
    }
    // imap:// never upgrades by itself: STARTTLS or nothing, unless the config says plain text.
    if (s_.tls_required && istarts_with(s_.url, "imap://"))
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!s_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, s_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(s_.timeout_seconds));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(s_.timeout_seconds));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &debug_lines);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &server_text_);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  }
  CURL* h = static_cast<CURL*>(handle_);
  std::string body;
  server_text_.clear();
  const std::string escaped = percent_escape(request);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.empty() ? nullptr : escaped.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, nullptr);
  if (rc == CURLE_OK) return body;
  std::string what = std::string(curl_easy_strerror(rc));
  if (!server_text_.empty()) what += ": " + server_text_;
  const std::string where = request.empty() ? url : request;
  if (rc == CURLE_QUOTE_ERROR) return make_error(Errc::data, where + ": " + what);
  if (rc == CURLE_REMOTE_FILE_NOT_FOUND) return make_error(Errc::data, where + ": " + what);
  return make_error(Errc::temp_fail, where + ": " + what);
}

Result<std::string> ImapMailbox::command(const std::string& url, const std::string& request) {
  auto r = perform(url, request);
  if (r || r.error().code != Errc::temp_fail) return r;
  // A connection the server dropped fails once: reconnect and try again, once.
  reset();
  return perform(url, request);
}

Result<ImapStatus> ImapMailbox::status() {
  auto out = command(server_ + "/", "STATUS " + quoted(folder_) + " (UIDVALIDITY UIDNEXT MESSAGES)");
  if (!out) return out.error();
  ImapStatus st;
  auto num = [&](const std::string& key) -> std::optional<std::uint32_t> {
    auto p = out->find(key + " ");
    if (p == std::string::npos) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(out->substr(p + key.size() + 1)));
  };
  auto v = num("UIDVALIDITY"), n = num("UIDNEXT"), m = num("MESSAGES");
  if (!v || !n) return make_error(Errc::temp_fail, "STATUS " + folder_ + ": unexpected answer: " + *out);
  st.uidvalidity = *v;
  st.uidnext = *n;
  st.messages = m.value_or(0);
  return st;
}

Result<std::set<std::string>> ImapMailbox::capabilities() {
  if (caps_) return *caps_;
  auto out = command(server_ + "/", "CAPABILITY");
  if (!out) return out.error();
  std::set<std::string> caps;
  std::istringstream lines(*out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("* CAPABILITY", 0) != 0) continue;
    std::istringstream words(line.substr(12));
    for (std::string w; words >> w;) caps.insert(to_lower(w));
  }
  caps_ = caps;
  return caps;
}

Result<std::vector<std::uint32_t>> ImapMailbox::uids_after(std::uint32_t after) {
  // On a folder this connection already has selected, a server only shows mail that arrived
  // since the last command once it has told us about it (EXISTS): NOOP first, or new mail would
  // wait one more poll interval.
  if (auto noop = command(server_ + "/" + url_path(mutf7(folder_)), "NOOP"); !noop) return noop.error();
  auto out = command(server_ + "/" + url_path(mutf7(folder_)), "UID SEARCH UID " + std::to_string(after + 1) + ":*");
  if (!out) return out.error();
  auto uids = numbers_after(*out, "SEARCH");
  // "n:*" always includes the highest UID, even when it is below n.
  uids.erase(std::remove_if(uids.begin(), uids.end(), [after](std::uint32_t u) { return u <= after; }), uids.end());
  return uids;
}

Result<std::vector<std::uint32_t>> ImapMailbox::uids_since(const std::string& date) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int y = std::stoi(date.substr(0, 4)), m = std::stoi(date.substr(5, 2)), d = std::stoi(date.substr(8, 2));
  if (m < 1 || m > 12) return make_error(Errc::config, "bad date " + date);
  const std::string imap_date = std::to_string(d) + "-" + months[m - 1] + "-" + std::to_string(y);
  auto out = command(server_ + "/" + url_path(mutf7(folder_)), "UID SEARCH SINCE " + imap_date);
  if (!out) return out.error();
  return numbers_after(*out, "SEARCH");
}

Result<std::map<std::uint32_t, std::set<std::string>>> ImapMailbox::flags(const std::vector<std::uint32_t>& uids) {
  std::map<std::uint32_t, std::set<std::string>> out;
  if (uids.empty()) return out;
  auto text = command(server_ + "/" + url_path(mutf7(folder_)), "UID FETCH " + uid_set(uids) + " (FLAGS)");
  if (!text) return text.error();
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    auto u = line.find("UID ");
    auto f = line.find("FLAGS (");
    if (u == std::string::npos || f == std::string::npos) continue;
    const auto uid = static_cast<std::uint32_t>(std::stoul(line.substr(u + 4)));
    auto close = line.find(')', f);
    std::istringstream words(line.substr(f + 7, close - f - 7));
    auto& set = out[uid];
    for (std::string w; words >> w;) set.insert(w);
  }
  return out;
}

Result<std::set<std::uint32_t>> ImapMailbox::seen(const std::vector<std::uint32_t>& uids) {
  std::set<std::uint32_t> out;
  if (uids.empty()) return out;
  auto text = command(server_ + "/" + url_path(mutf7(folder_)), "UID SEARCH UID " + uid_set(uids) + " SEEN");
  if (!text) return text.error();
  for (auto u : numbers_after(*text, "SEARCH")) out.insert(u);
  return out;
}

Result<std::string> ImapMailbox::fetch(std::uint32_t uid, std::uint32_t uidvalidity) {
  // ;UIDVALIDITY= makes curl refuse the fetch if the folder was recreated meanwhile.
  return command(server_ + "/" + url_path(mutf7(folder_)) + ";UIDVALIDITY=" + std::to_string(uidvalidity) +
                     ";UID=" + std::to_string(uid),
                 "");
}

Result<void> ImapMailbox::store_flags(const std::vector<std::uint32_t>& uids, bool add, const std::string& flags) {
  if (uids.empty()) return {};
  auto r = command(server_ + "/" + url_path(mutf7(folder_)),
                   "UID STORE " + uid_set(uids) + (add ? " +FLAGS.SILENT (" : " -FLAGS.SILENT (") + flags + ")");
  if (!r) return r.error();
  return {};
}

Result<void> ImapMailbox::move(const std::vector<std::uint32_t>& uids, const std::string& folder) {
  if (uids.empty()) return {};
  auto caps = capabilities();
  if (!caps) return caps.error();
  const std::string url = server_ + "/" + url_path(mutf7(folder_));
  const std::string set = uid_set(uids);
  if (caps->count("move")) {
    auto r = command(url, "UID MOVE " + set + " " + quoted(folder));
    if (!r) return r.error();
    return {};
  }
  auto copy = command(url, "UID COPY " + set + " " + quoted(folder));
  if (!copy) return copy.error();
  if (auto r = store_flags(uids, true, "\\Deleted"); !r) return r;
  // UID EXPUNGE (UIDPLUS) removes only these; a plain EXPUNGE would also take what a human deleted.
  auto ex = command(url, caps->count("uidplus") ? "UID EXPUNGE " + set : std::string("EXPUNGE"));
  if (!ex) return ex.error();
  return {};
}

std::string ImapMailbox::uid_set(std::vector<std::uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  std::string out;
  for (size_t i = 0; i < uids.size();) {
    size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(uids[i]);
    if (j > i) {
      out.push_back(':');
      out.append(std::to_string(uids[j]));
    }
    i = j + 1;
  }
  return out;
}

std::string ImapMailbox::mutf7(const std::string& utf8) {
  // UTF-8 → code points → UTF-16 → modified base64 ("," for "/", no padding) between & and -.
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
  std::string out;
  std::vector<std::uint16_t> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    std::string bytes;
    for (auto u : pending) {
      bytes.push_back(static_cast<char>(u >> 8));
      bytes.push_back(static_cast<char>(u & 0xFF));
    }
    out.push_back('&');
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
      acc = (acc << 8) | c;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out.push_back(b64[(acc >> bits) & 0x3F]);
      }
    }
    if (bits > 0) out.push_back(b64[(acc << (6 - bits)) & 0x3F]);
    out.push_back('-');
    pending.clear();
  };
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = c;
    int len = 1;
    if (c >= 0xF0)
      cp = c & 0x07, len = 4;
    else if (c >= 0xE0)
      cp = c & 0x0F, len = 3;
    else if (c >= 0xC0)
      cp = c & 0x1F, len = 2;
    for (int k = 1; k < len && i + k < utf8.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    i += static_cast<size_t>(len);
    if (cp >= 0x20 && cp <= 0x7E) {
      flush();
      if (cp == '&')
        out += "&-";
      else
        out.push_back(static_cast<char>(cp));
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      pending.push_back(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      pending.push_back(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      pending.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  flush();
  return out;
}

namespace {

class ImapSource final : public Source {
 public:
  explicit ImapSource(ImapSettings s) : url_(s.url), box_(std::move(s)) {}

  std::string describe() const override { return url_; }
  bool durable_uids() const override { return true; }
  Result<FolderStatus> status() override {
    auto st = box_.status();
    if (!st) return st.error();
    return FolderStatus{st->uidvalidity, st->uidnext, st->messages};
  }
  Result<std::vector<std::uint32_t>> uids_after(std::uint32_t after) override { return box_.uids_after(after); }
  Result<std::vector<std::uint32_t>> uids_since(const std::string& date) override { return box_.uids_since(date); }
  Result<std::set<std::uint32_t>> seen(const std::vector<std::uint32_t>& uids) override { return box_.seen(uids); }
  Result<std::string> fetch(std::uint32_t uid, std::uint32_t uidvalidity) override {
    return box_.fetch(uid, uidvalidity);
  }

  // A few commands over UID sets, whatever the number of messages.
  Result<void> finish(const std::vector<Owed>& owed, const After& after) override {
    std::vector<std::uint32_t> all, unseen;
    for (const Owed& o : owed) {
      all.push_back(o.uid);
      if (!o.was_seen) unseen.push_back(o.uid);
    }
    if (all.empty()) return {};
    // Our fetch set \Seen: a message a human had not opened must look unopened again.
    if (after.kind != After::Kind::seen) {
      if (auto r = box_.store_flags(unseen, false, "\\Seen"); !r) return r;
    }
    switch (after.kind) {
      case After::Kind::flag:
        return box_.store_flags(all, true, "$Guichet");
      case After::Kind::seen:
        return box_.store_flags(all, true, "$Guichet \\Seen");
      case After::Kind::move:
        if (auto r = box_.store_flags(all, true, "$Guichet"); !r) return r;
        return box_.move(all, after.folder);
      case After::Kind::leave:
        return {};
    }
    return {};
  }

  std::string location(std::uint32_t uidvalidity, std::uint32_t uid) const override {
    return std::to_string(uidvalidity) + "/" + std::to_string(uid);
  }
  void reset() override { box_.reset(); }

 private:
  std::string url_;
  ImapMailbox box_;
};

}  // namespace

std::unique_ptr<Source> make_imap_source(ImapSettings settings) {
  return std::make_unique<ImapSource>(std::move(settings));
}

}  // namespace guichet::transport
