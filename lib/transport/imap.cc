#include "transport/imap.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "transport/probe.h"
#include "util/strings.h"

namespace guichet::transport {

namespace {

// Dovecot refuses command lines over 64 KiB; 1,000 UIDs, however sparse, stay far below.
constexpr size_t kUidsPerCommand = 1000;

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

std::vector<std::vector<std::uint32_t>> in_groups(std::vector<std::uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  std::vector<std::vector<std::uint32_t>> groups;
  for (size_t i = 0; i < uids.size(); i += kUidsPerCommand)
    groups.emplace_back(uids.begin() + static_cast<std::ptrdiff_t>(i),
                        uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), i + kUidsPerCommand)));
  return groups;
}

// YYYY-MM-DD as IMAP writes a day (RFC 3501 date: "3-Dec-2026"); nullopt when it is not one.
std::optional<std::string> imap_date(const std::string& date) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(date[i]))) return std::nullopt;
  const int m = std::stoi(date.substr(5, 2)), d = std::stoi(date.substr(8, 2));
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  return std::to_string(d) + "-" + months[m - 1] + "-" + date.substr(0, 4);
}

std::vector<std::uint32_t> searched(const std::vector<ImapLine>& lines) {
  std::vector<std::uint32_t> out;
  for (const ImapLine& l : lines) {
    auto n = search_numbers(l);
    out.insert(out.end(), n.begin(), n.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string folder_of(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t path = scheme_end == std::string::npos ? std::string::npos : url.find('/', scheme_end + 3);
  std::string folder = path == std::string::npos ? "" : url_decode(url.substr(path + 1));
  return folder.empty() ? "INBOX" : folder;
}

}  // namespace

ImapMailbox::ImapMailbox(ImapSettings s) : conn_(std::move(s)), folder_(folder_of(conn_.settings().url)) {}

void ImapMailbox::reset() {
  conn_.close();
  selected_in_ = 0;
  just_selected_ = false;
}

Result<void> ImapMailbox::select() {
  auto lines = conn_.run("SELECT " + quoted(folder_));
  if (!lines) return lines.error();
  ImapStatus st;
  std::optional<std::uint32_t> validity, next;
  for (const ImapLine& l : *lines) {
    if (auto n = untagged_number(l, "EXISTS")) st.messages = *n;
    if (auto v = response_code_number(l, "UIDVALIDITY")) validity = v;
    if (auto n = response_code_number(l, "UIDNEXT")) next = n;
  }
  if (!validity) return make_error(Errc::temp_fail, "SELECT " + folder_ + ": the server gave no UIDVALIDITY");
  if (!next) {
    // RFC 3501 requires it, some servers forget it on an empty folder: STATUS says it.
    auto status = conn_.run("STATUS " + quoted(folder_) + " (UIDNEXT)");
    if (!status) return status.error();
    for (const ImapLine& l : *status) {
      const size_t p = l.text.find("UIDNEXT ");
      if (p != std::string::npos) next = static_cast<std::uint32_t>(std::stoul(l.text.substr(p + 8)));
    }
  }
  st.uidvalidity = *validity;
  st.uidnext = next.value_or(1);
  selected_status_ = st;
  selected_in_ = conn_.generation();
  just_selected_ = true;
  return {};
}

Result<void> ImapMailbox::select_if_needed() {
  if (conn_.is_open() && selected_in_ == conn_.generation()) return {};
  if (auto r = conn_.open(); !r) return r;
  return select();
}

namespace {

// A connection the server dropped fails once: a new one, once.
template <class F>
auto once_more_if_dropped(ImapMailbox& box, F&& f) -> decltype(f()) {
  auto r = f();
  if (r || r.error().code != Errc::temp_fail) return r;
  box.reset();
  return f();
}

}  // namespace

Result<std::vector<ImapLine>> ImapMailbox::command(const std::string& command, bool on_folder) {
  return once_more_if_dropped(*this, [&]() -> Result<std::vector<ImapLine>> {
    auto ready = on_folder ? select_if_needed() : conn_.open();
    if (!ready) return ready.error();
    just_selected_ = false;
    return conn_.run(command);
  });
}

Result<ImapStatus> ImapMailbox::status() {
  return once_more_if_dropped(*this, [&]() -> Result<ImapStatus> {
    if (auto r = conn_.open(); !r) return r.error();
    if (auto r = select(); !r) return r.error();
    return selected_status_;
  });
}

Result<std::set<std::string>> ImapMailbox::capabilities() {
  // Read once at login: only a connection is needed, no command.
  if (auto r = conn_.open(); !r) return r.error();
  return conn_.capabilities();
}

Result<std::vector<std::uint32_t>> ImapMailbox::uids_after(std::uint32_t after) {
  // A server shows mail that arrived since the last command only once it has said so (EXISTS),
  // which it does in the answer to any command: NOOP first, unless the folder was SELECTed just
  // now (status(), at the start of each poll), which is as fresh.
  if (!just_selected_) {
    if (auto noop = command("NOOP"); !noop) return noop.error();
  }
  auto out = command("UID SEARCH UID " + std::to_string(after + 1) + ":*");
  if (!out) return out.error();
  auto uids = searched(*out);
  // "n:*" always includes the highest UID, even when it is below n.
  uids.erase(std::remove_if(uids.begin(), uids.end(), [after](std::uint32_t u) { return u <= after; }), uids.end());
  return uids;
}

Result<std::vector<std::uint32_t>> ImapMailbox::uids_since(const std::string& date) {
  const auto day = imap_date(date);
  if (!day) return make_error(Errc::config, "bad date " + date);
  auto out = command("UID SEARCH SINCE " + *day);
  if (!out) return out.error();
  return searched(*out);
}

Result<std::map<std::uint32_t, std::set<std::string>>> ImapMailbox::flags(const std::vector<std::uint32_t>& uids) {
  std::map<std::uint32_t, std::set<std::string>> out;
  for (const auto& group : in_groups(uids)) {
    auto lines = command("UID FETCH " + uid_set(group) + " (UID FLAGS)");
    if (!lines) return lines.error();
    for (ImapLine& l : *lines) {
      auto item = parse_fetch(l);
      if (item && item->uid && item->flags) out[*item->uid] = *item->flags;
    }
  }
  return out;
}

Result<std::set<std::uint32_t>> ImapMailbox::seen(const std::vector<std::uint32_t>& uids) {
  std::set<std::uint32_t> out;
  for (const auto& group : in_groups(uids)) {
    auto lines = command("UID SEARCH UID " + uid_set(group) + " SEEN");
    if (!lines) return lines.error();
    for (auto u : searched(*lines)) out.insert(u);
  }
  return out;
}

Result<void> ImapMailbox::fetch_each(const std::vector<std::uint32_t>& uids, std::uint32_t uidvalidity,
                                     const std::function<bool(std::uint32_t, std::string&)>& each) {
  for (const auto& group : in_groups(uids)) {
    if (auto r = select_if_needed(); !r) {
      reset();
      if (r = select_if_needed(); !r) return r;
    }
    if (selected_status_.uidvalidity != uidvalidity)
      return make_error(Errc::data, folder_ + ": UIDVALIDITY is now " + std::to_string(selected_status_.uidvalidity) +
                                        ", not " + std::to_string(uidvalidity) + ": the folder was recreated");
    bool stopped = false;
    just_selected_ = false;
    // Each message goes on as soon as its literal is complete, while the next ones still arrive.
    auto r = conn_.run("UID FETCH " + uid_set(group) + " (UID BODY.PEEK[])", [&](ImapLine& line) {
      auto item = parse_fetch(line);
      // Other FETCH responses may come unasked (a flag another client changed): not ours.
      if (!item || !item->uid || !item->body) return true;
      if (!std::binary_search(group.begin(), group.end(), *item->uid)) return true;
      if (!each(*item->uid, *item->body)) stopped = true;
      return !stopped;
    });
    if (stopped) return {};
    if (!r) return r.error();
  }
  return {};
}

Result<std::string> ImapMailbox::fetch(std::uint32_t uid, std::uint32_t uidvalidity) {
  std::optional<std::string> raw;
  auto r = fetch_each({uid}, uidvalidity, [&](std::uint32_t, std::string& body) {
    raw = std::move(body);
    return true;
  });
  if (!r) return r.error();
  if (!raw) return make_error(Errc::data, folder_ + ": no message with UID " + std::to_string(uid));
  return std::move(*raw);
}

Result<void> ImapMailbox::store_flags(const std::vector<std::uint32_t>& uids, bool add, const std::string& flags) {
  for (const auto& group : in_groups(uids)) {
    auto r = command("UID STORE " + uid_set(group) + (add ? " +FLAGS.SILENT (" : " -FLAGS.SILENT (") + flags + ")");
    if (!r) return r.error();
  }
  return {};
}

Result<void> ImapMailbox::move(const std::vector<std::uint32_t>& uids, const std::string& folder) {
  auto caps = capabilities();
  if (!caps) return caps.error();
  for (const auto& group : in_groups(uids)) {
    const std::string set = uid_set(group);
    if (caps->count("move")) {
      if (auto r = command("UID MOVE " + set + " " + quoted(folder)); !r) return r.error();
      continue;
    }
    if (auto r = command("UID COPY " + set + " " + quoted(folder)); !r) return r.error();
    if (auto r = store_flags(group, true, "\\Deleted"); !r) return r;
    // UID EXPUNGE (UIDPLUS) removes only these; a plain EXPUNGE would also take what a human deleted.
    if (auto r = command(caps->count("uidplus") ? "UID EXPUNGE " + set : std::string("EXPUNGE")); !r) return r.error();
  }
  return {};
}

Result<bool> ImapMailbox::idle(std::chrono::milliseconds max, const std::function<bool()>& stop) {
  if (auto r = select_if_needed(); !r) return r.error();
  just_selected_ = false;
  return conn_.idle(max, stop);
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
  explicit ImapSource(ImapSettings s) : url_(s.url), settings_(s), box_(std::move(s)) {}

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
  Result<void> fetch_each(const std::vector<std::uint32_t>& uids, std::uint32_t uidvalidity,
                          const std::function<bool(std::uint32_t, std::string&)>& each) override {
    return box_.fetch_each(uids, uidvalidity, each);
  }
  std::unique_ptr<Watcher> watcher() const override;

  // A few commands over UID sets, whatever the number of messages.
  Result<void> finish(const std::vector<Owed>& owed, const After& after) override {
    // BODY.PEEK[] left \Seen as a human left it: only our own flag to set.
    std::vector<std::uint32_t> all;
    for (const Owed& o : owed) all.push_back(o.uid);
    if (all.empty()) return {};
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
  ImapSettings settings_;
  ImapMailbox box_;
};

// IDLE on a second connection: the poller's own stays free for its commands.
class ImapWatcher final : public Watcher {
 public:
  explicit ImapWatcher(ImapSettings s) : url_(s.url), box_(std::move(s)) {}
  Result<bool> wait(std::chrono::milliseconds max, const std::function<bool()>& stop) override {
    auto r = box_.idle(max, stop);
    if (!r && r.error().code == Errc::temp_fail) box_.reset();
    return r;
  }
  std::string describe() const override { return url_ + " (IDLE)"; }

 private:
  std::string url_;
  ImapMailbox box_;
};

std::unique_ptr<Watcher> ImapSource::watcher() const { return std::make_unique<ImapWatcher>(settings_); }

}  // namespace

std::unique_ptr<Source> make_imap_source(ImapSettings settings) {
  return std::make_unique<ImapSource>(std::move(settings));
}

std::vector<ProbeStep> probe_imap(const ImapSettings& s, const std::string& start) {
  std::vector<ProbeStep> steps{resolve_step(s.url)};
  if (!steps.back().ok) return steps;
  const auto [host, port] = host_and_port(s.url);
  const bool implicit_tls = istarts_with(s.url, "imaps://");
  const std::string tls = implicit_tls     ? "implicit TLS (imaps), the certificate verified"
                          : s.tls_required ? "STARTTLS, the certificate verified"
                                           : "none: plain text (tls: none)";
  if (auto token = oauth2_step(s.credentials)) {
    steps.push_back(*token);
    if (!token->ok) return steps;
  }
  ImapConnection conn(s);
  if (auto r = conn.open(); !r) {
    const std::string at = conn.failed_step().empty() ? "connect" : conn.failed_step();
    if (at == "TLS" || at == "login") steps.push_back({"connect", true, host + ":" + port});
    if (at == "login") steps.push_back({"TLS", true, tls});
    steps.push_back({at, false, r.error().message});
    return steps;
  }
  steps.push_back({"connect", true, host + ":" + port});
  steps.push_back({"TLS", true, tls});
  std::string caps;
  for (const auto& c : conn.capabilities()) caps += (caps.empty() ? "" : " ") + c;
  steps.push_back({"login", true,
                   "as " + s.credentials.user + (s.credentials.bearer.empty() && !s.credentials.oauth2 ? "" : " (XOAUTH2)") +
                       "; the server offers: " + caps});
  auto listed = conn.run("LIST \"\" \"*\"");
  if (!listed) {
    steps.push_back({"folders", false, listed.error().message});
    return steps;
  }
  std::string names;
  int count = 0;
  for (const ImapLine& l : *listed) {
    if (!istarts_with(l.text, "* LIST ")) continue;
    std::string name;
    if (!l.literals.empty()) {
      name = l.literals.back();
    } else if (!l.text.empty() && l.text.back() == '"') {
      const size_t open = l.text.rfind(" \"");
      name = l.text.substr(open + 2, l.text.size() - open - 3);
    } else {
      name = l.text.substr(l.text.rfind(' ') + 1);
    }
    if (++count <= 30) names += (names.empty() ? "" : ", ") + name;
  }
  steps.push_back({"folders", true, std::to_string(count) + ": " + names + (count > 30 ? ", …" : "")});
  // EXAMINE, not SELECT: read-only, so that not even \Recent changes.
  const std::string folder = folder_of(s.url);
  auto examined = conn.run("EXAMINE " + quoted(folder));
  if (!examined) {
    steps.push_back({"folder", false, folder + ": " + examined.error().message});
    return steps;
  }
  std::uint32_t messages = 0;
  std::optional<std::uint32_t> validity, next;
  for (const ImapLine& l : *examined) {
    if (auto n = untagged_number(l, "EXISTS")) messages = *n;
    if (auto v = response_code_number(l, "UIDVALIDITY")) validity = v;
    if (auto n = response_code_number(l, "UIDNEXT")) next = n;
  }
  steps.push_back(
      {"folder", true,
       folder + ": " + std::to_string(messages) + " message(s), UIDVALIDITY " +
           (validity ? std::to_string(*validity) : "none (the server gave none: guichet refuses such a folder)") +
           (next ? ", next UID " + std::to_string(*next) : "")});
  if (!validity) steps.back().ok = false;
  if (start == "now") {
    steps.push_back(
        {"first run", true,
         "start: now: none of the " + std::to_string(messages) + " message(s) there, only mail arriving after it"});
  } else if (start == "all") {
    steps.push_back({"first run", true, "start: all: the " + std::to_string(messages) + " message(s) of the folder"});
  } else {
    const std::string day = start.substr(start.find(':') + 1);
    const auto since = imap_date(day);
    if (!istarts_with(start, "since:") || !since) {
      steps.push_back({"first run", false, "start: " + start + ": not now, all or since:YYYY-MM-DD"});
      return steps;
    }
    auto found = conn.run("UID SEARCH SINCE " + *since);
    if (!found) {
      steps.push_back({"first run", false, found.error().message});
      return steps;
    }
    steps.push_back({"first run", true,
                     "start: " + start + ": " + std::to_string(searched(*found).size()) + " of the " +
                         std::to_string(messages) + " message(s), received since " + day});
  }
  (void)conn.run("LOGOUT");
  conn.close();
  return steps;
}

}  // namespace guichet::transport
