#include "transport/sender.h"

#include <unistd.h>
#include "transport/curl_api.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "transport/probe.h"
#include "util/strings.h"

namespace guichet::transport {

namespace fs = std::filesystem;

namespace {

// Where the server is and how to log in, for a send and for `smtp test` alike.
void set_server_options(const CurlApi& api, CURL* h, const SmtpSettings& s, const std::string& bearer) {
  api.easy_setopt(h, CURLOPT_URL, s.url.c_str());
  if (s.tls_required && istarts_with(s.url, "smtp://"))
    api.easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));  // STARTTLS or nothing
  if (!s.ca_file.empty()) api.easy_setopt(h, CURLOPT_CAINFO, s.ca_file.c_str());
  const Credentials& c = s.credentials;
  if (!c.user.empty()) {
    api.easy_setopt(h, CURLOPT_USERNAME, c.user.c_str());
    if (!bearer.empty()) {
      api.easy_setopt(h, CURLOPT_XOAUTH2_BEARER, bearer.c_str());
      api.easy_setopt(h, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
    } else {
      api.easy_setopt(h, CURLOPT_PASSWORD, c.password.c_str());
    }
  }
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(s.timeout_seconds));
  api.easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(s.timeout_seconds));
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
}

class SmtpSender final : public Sender {
 public:
  explicit SmtpSender(SmtpSettings cfg) : cfg_(std::move(cfg)) {}
  ~SmtpSender() override {
    if (handle_) curl()->easy_cleanup(handle_);
  }

  std::string describe() const override { return cfg_.url; }

  SendResult send(const std::string& from, const std::string& to, const std::string& message) override {
    // libcurl is loaded at the first mail, not when the daemon starts (util/shared_library.h).
    const auto& lib = curl();
    if (!lib) return {SendResult::Status::temporary, lib.error().message};
    const CurlApi& api = *lib;
    if (!handle_) handle_ = api.easy_init();
    if (!handle_) return {SendResult::Status::temporary, "curl_easy_init failed"};
    CURL* h = handle_;
    // A token the identity provider refuses is the set-up's fault: the mail waits, the log and
    // `guichet status` say what the provider said.
    auto bearer = cfg_.credentials.current_bearer();
    if (!bearer) return {SendResult::Status::temporary, bearer.error().message, true};
    // The same handle for every mail: libcurl keeps the connection (and the login) between them.
    set_server_options(api, h, cfg_, *bearer);
    const std::string mail_from = "<" + from + ">";
    api.easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_slist* rcpt = api.slist_append(nullptr, ("<" + to + ">").c_str());
    api.easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    Reader reader{message, 0, this};
    api.easy_setopt(h, CURLOPT_UPLOAD, 1L);
    api.easy_setopt(h, CURLOPT_READFUNCTION, &Reader::read);
    api.easy_setopt(h, CURLOPT_READDATA, &reader);
    api.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    // The server's own words only reach us through the debug callback.
    last_reply_.clear();
    refusal_.clear();
    char error[CURL_ERROR_SIZE] = "";
    api.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    api.easy_setopt(h, CURLOPT_DEBUGFUNCTION, &SmtpSender::debug);
    api.easy_setopt(h, CURLOPT_DEBUGDATA, this);
    api.easy_setopt(h, CURLOPT_VERBOSE, 1L);
    const CURLcode rc = api.easy_perform(h);
    api.slist_free_all(rcpt);
    api.easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    if (rc == CURLE_OK) return {SendResult::Status::sent, last_reply_};
    long code = 0;
    api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (!cfg_.credentials.user.empty() && !auth_offered_ &&
        (rc == CURLE_ABORTED_BY_CALLBACK || (code >= 500 && code < 600))) {
      // libcurl skips the login when the server lists no AUTH and would send as anyone: the mail
      // was stopped before its first byte, or refused as anyone's ("554 5.7.1 relay denied"):
      // either way the set-up's fault, and the mail waits.
      return {SendResult::Status::temporary,
              "the server offers no AUTH (no login possible as " + cfg_.credentials.user +
                  "): not sent; check smtp.url, or remove smtp.user if this server takes mail without a login" +
                  (refusal_.empty() ? "" : " (" + refusal_ + ")"),
              true};
    }
    std::string detail = api.easy_strerror(rc);
    // curl's own words say more than its code: "SSL certificate problem: unable to get local issuer…"
    if (error[0] != '\0' && detail.find(error) == std::string::npos) detail += " (" + std::string(error) + ")";
    if (!refusal_.empty()) detail += ": " + refusal_;
    // A refused login, a certificate, STARTTLS missing, "authentication required" (530), "encryption
    // required" (538): the town's configuration, not the recipient. Keep the mail and retry (the log
    // and `guichet status` say why) rather than fail it for good.
    if (rc == CURLE_LOGIN_DENIED) cfg_.credentials.refused();
    const bool setup = rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR ||
                       rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || code == 530 ||
                       code == 534 || code == 535 || code == 538;
    if (code >= 500 && code < 600 && !setup) return {SendResult::Status::permanent, detail};
    return {SendResult::Status::temporary, detail, setup};
  }

 private:
  struct Reader {
    const std::string& data;
    size_t pos;
    const SmtpSender* sender;
    static size_t read(char* buf, size_t size, size_t n, void* user) {
      auto* r = static_cast<Reader*>(user);
      // The first moment libcurl lets us stop: after RCPT TO, before the message. A server that
      // never took the login gets DATA aborted, and keeps nothing.
      if (!r->sender->auth_offered_ && !r->sender->cfg_.credentials.user.empty()) return CURL_READFUNC_ABORT;
      const size_t len = std::min(size * n, r->data.size() - r->pos);
      std::memcpy(buf, r->data.data() + r->pos, len);
      r->pos += len;
      return len;
    }
  };

  static int debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    if (type != CURLINFO_HEADER_IN) return 0;
    auto* self = static_cast<SmtpSender*>(user);
    std::string line(data, size);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    // The refusal (before curl's QUIT gets its "221 Bye"), else the last word ("250 queued as …").
    if (line.empty()) return 0;
    // Each new connection greets (220) then lists its extensions: whether it takes a login is
    // known before MAIL FROM, and stays true for the mails sent over that connection.
    if (istarts_with(line, "220 ") || istarts_with(line, "220-")) self->auth_offered_ = false;
    if (line.size() > 8 && istarts_with(line, "250") && istarts_with(line.substr(4), "AUTH"))
      self->auth_offered_ = true;
    if (line[0] == '4' || line[0] == '5') self->refusal_ = line;
    self->last_reply_ = line;
    return 0;
  }

  SmtpSettings cfg_;
  CURL* handle_ = nullptr;
  std::string last_reply_, refusal_;
  bool auth_offered_ = false;
};

// The demo's "server": each mail becomes a file in a Maildir, as an MDA would deliver it.
class MaildirSender final : public Sender {
 public:
  explicit MaildirSender(std::string dir) : dir_(std::move(dir)) {}
  std::string describe() const override { return "maildir://" + dir_; }

  SendResult send(const std::string& from, const std::string& to, const std::string& message) override {
    std::error_code ec;
    for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(fs::path(dir_) / sub, ec);
    if (ec) return {SendResult::Status::temporary, dir_ + ": " + ec.message()};
    static std::atomic<unsigned> counter{0};
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    const std::string name = std::to_string(std::time(nullptr)) + ".P" + std::to_string(getpid()) + "Q" +
                             std::to_string(counter++) + "." + host;
    const fs::path tmp = fs::path(dir_) / "tmp" / name;
    {
      std::ofstream out(tmp, std::ios::binary);
      out << "Return-Path: <" << from << ">\r\nDelivered-To: " << to << "\r\n" << message;
      out.flush();
      if (!out) return {SendResult::Status::temporary, tmp.string() + ": write failed"};
    }
    fs::rename(tmp, fs::path(dir_) / "new" / name, ec);
    if (ec) return {SendResult::Status::temporary, ec.message()};
    return {SendResult::Status::sent, "delivered to " + dir_};
  }

 private:
  std::string dir_;
};

}  // namespace

Result<std::unique_ptr<Sender>> make_sender(const SmtpSettings& smtp) {
  if (istarts_with(smtp.url, "maildir://"))
    return std::unique_ptr<Sender>(std::make_unique<MaildirSender>(smtp.url.substr(10)));
  return std::unique_ptr<Sender>(std::make_unique<SmtpSender>(smtp));
}

namespace {

// The server's lines during a connect-only SMTP session: its greeting, EHLO answer, AUTH result.
int server_lines(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!line.empty()) static_cast<std::vector<std::string>*>(user)->push_back(line);
  return 0;
}

}  // namespace

std::vector<ProbeStep> probe_smtp(const SmtpSettings& s) {
  std::vector<ProbeStep> steps{resolve_step(s.url)};
  if (!steps.back().ok) return steps;
  if (auto token = oauth2_step(s.credentials)) {
    steps.push_back(*token);
    if (!token->ok) return steps;
  }
  const auto bearer = s.credentials.current_bearer();  // the one just fetched, from the cache
  const auto [host, port] = host_and_port(s.url);
  const auto& lib = curl();
  if (!lib) {
    steps.push_back({"connect", false, lib.error().message});
    return steps;
  }
  const CurlApi& api = *lib;
  CURL* h = api.easy_init();
  if (!h) {
    steps.push_back({"connect", false, "curl_easy_init failed"});
    return steps;
  }
  // The same options as a send, but connect-only: greeting, EHLO, STARTTLS, AUTH, then QUIT.
  set_server_options(api, h, s, bearer ? *bearer : std::string());
  const bool implicit_tls = istarts_with(s.url, "smtps://");
  const Credentials& c = s.credentials;
  api.easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  std::vector<std::string> said;
  api.easy_setopt(h, CURLOPT_DEBUGFUNCTION, &server_lines);
  api.easy_setopt(h, CURLOPT_DEBUGDATA, &said);
  api.easy_setopt(h, CURLOPT_VERBOSE, 1L);
  const CURLcode rc = api.easy_perform(h);
  api.easy_cleanup(h);  // QUIT
  const std::string tls = implicit_tls     ? "implicit TLS (smtps), the certificate verified"
                          : s.tls_required ? "STARTTLS, the certificate verified"
                                           : "none: plain text (tls: none)";
  std::string greeting, extensions, refusal;
  for (const auto& l : said) {
    if (greeting.empty() && istarts_with(l, "220")) greeting = l;
    if (l.size() > 4 && istarts_with(l, "250") && (l[3] == '-' || l[3] == ' ')) {
      const std::string ext = l.substr(4);
      if (!istarts_with(ext, host) && extensions.find(ext) == std::string::npos)
        extensions += (extensions.empty() ? "" : ", ") + ext;
    }
    if (!l.empty() && (l[0] == '4' || l[0] == '5')) refusal = l;
  }
  if (rc != CURLE_OK) {
    std::string at = failed_step(rc);
    // A refusal after the greeting is the login's (or STARTTLS's), whatever curl calls it.
    if (at == "connect" && !refusal.empty() && !greeting.empty()) at = c.user.empty() ? "TLS" : "login";
    if (at == "TLS" || at == "login")
      steps.push_back({"connect", true, host + ":" + port + (greeting.empty() ? "" : ": " + greeting)});
    if (at == "login") steps.push_back({"TLS", true, tls});
    std::string why = api.easy_strerror(rc);
    if (!refusal.empty()) why += ": " + refusal;
    steps.push_back({at, false, why});
    return steps;
  }
  steps.push_back({"connect", true, host + ":" + port + (greeting.empty() ? "" : ": " + greeting)});
  steps.push_back({"TLS", true, tls});
  // libcurl logs in only when the server lists AUTH, and is content without: a send would stop.
  if (!c.user.empty() && extensions.find("AUTH") == std::string::npos) {
    steps.push_back({"login", false, "the server offers no AUTH, so no login as " + c.user + " (it offers: " +
                                         extensions + "); mail would wait in the outbox"});
    return steps;
  }
  steps.push_back({"login", true,
                   (c.user.empty() ? std::string("none asked (no user configured)") : "as " + c.user) +
                       "; the server offers: " + extensions});
  return steps;
}

}  // namespace guichet::transport
