#include "transport/oauth2.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "defaults/defaults.h"
#include "transport/credentials.h"
#include "transport/curl_api.h"
#include "util/strings.h"

namespace guichet::transport {

namespace {

// application/x-www-form-urlencoded (RFC 6749 appendix B): unreserved characters as they are,
// every other byte %XX.
std::string form_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  // An identity provider's answer is a few KiB; a proxy's error page can be anything.
  if (body->size() > 1 << 20) return 0;
  body->append(data, size * n);
  return size * n;
}

// The first <title> of an HTML page, or its first 80 characters: what a captive portal or a proxy
// says it is.
std::string html_summary(const std::string& body) {
  const std::string lower = to_lower(body.substr(0, 4096));
  const size_t open = lower.find("<title>");
  const size_t close = open == std::string::npos ? open : lower.find("</title>", open);
  const std::string text = close != std::string::npos ? body.substr(open + 7, close - open - 7) : body.substr(0, 80);
  return shorten(collapse_spaces(text), 120);
}

// A rotated refresh token replaces the file's, atomically, readable by guichet alone.
void write_back(const std::string& path, const std::string& token) {
  const std::string tmp = path + ".new";
  const mode_t old = umask(077);
  std::ofstream out(tmp, std::ios::trunc);
  umask(old);
  out << token << "\n";
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) std::remove(tmp.c_str());
}

}  // namespace

Result<AccessToken> fetch_access_token(const OAuth2Client& c, std::int64_t now) {
  const auto& lib = curl();
  if (!lib) return lib.error();
  const CurlApi& api = *lib;
  CURL* h = api.easy_init();
  if (!h) return make_error(Errc::temp_fail, "curl_easy_init failed");
  std::string form = c.refresh_token.empty() ? "grant_type=client_credentials"
                                             : "grant_type=refresh_token&refresh_token=" + form_escape(c.refresh_token);
  form += "&client_id=" + form_escape(c.client_id);
  if (!c.client_secret.empty()) form += "&client_secret=" + form_escape(c.client_secret);
  if (!c.scope.empty()) form += "&scope=" + form_escape(c.scope);
  std::string body;
  char error[CURL_ERROR_SIZE] = "";
  curl_slist* headers = api.slist_append(nullptr, "Accept: application/json");
  api.easy_setopt(h, CURLOPT_URL, c.token_url.c_str());
  api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");  // the secret goes nowhere else, redirects included
  api.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  api.easy_setopt(h, CURLOPT_POSTFIELDS, form.c_str());
  api.easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
  api.easy_setopt(h, CURLOPT_WRITEDATA, &body);
  api.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(c.timeout_seconds));
  api.easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(c.timeout_seconds));
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (!c.ca_file.empty()) api.easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
  const CURLcode rc = api.easy_perform(h);
  long status = 0;
  api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  char* type_ptr = nullptr;
  api.easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type_ptr);
  const std::string type = type_ptr ? to_lower(type_ptr) : "";
  api.slist_free_all(headers);
  api.easy_cleanup(h);
  const std::string where = "the token endpoint " + c.token_url;
  if (rc != CURLE_OK) {
    std::string why = api.easy_strerror(rc);
    if (error[0] != '\0' && why.find(error) == std::string::npos) why += " (" + std::string(error) + ")";
    return make_error(Errc::temp_fail, where + " is unreachable: " + why);
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    const std::string what = type.find("html") != std::string::npos ? "text/html" : type.empty() ? "no type" : type;
    return make_error(Errc::temp_fail, where + " answered HTTP " + std::to_string(status) + " with " + what +
                                           ", not JSON: " + html_summary(body));
  }
  auto text = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; };
  if (status != 200 || !text("error").empty()) {
    // RFC 6749 §5.2: error, error_description. Microsoft's AADSTS codes say exactly what to fix.
    std::string why = text("error").empty() ? "HTTP " + std::to_string(status) : text("error");
    if (!text("error_description").empty()) why += ": " + text("error_description");
    return make_error(Errc::temp_fail, "the identity provider refused (" + c.token_url + "): " + why);
  }
  AccessToken t;
  t.value = text("access_token");
  if (t.value.empty()) return make_error(Errc::temp_fail, where + " answered without an access_token");
  if (!text("token_type").empty() && to_lower(text("token_type")) != "bearer")
    return make_error(Errc::temp_fail, where + " gave a " + text("token_type") + " token, not Bearer");
  std::int64_t lifetime = 3600;  // RFC 6749 §5.1: expires_in is RECOMMENDED; Microsoft and Google send it
  if (j.contains("expires_in") && j["expires_in"].is_number_integer())
    lifetime = j["expires_in"].get<std::int64_t>();
  else if (j.contains("expires_in") && j["expires_in"].is_string())
    lifetime = std::atoll(text("expires_in").c_str());
  t.expires_at = now + std::max<std::int64_t>(lifetime, 0);
  const std::string rotated = text("refresh_token");
  if (!rotated.empty() && rotated != c.refresh_token) t.refresh_token = rotated;
  return t;
}

Result<std::string> Credentials::current_bearer() const {
  if (!oauth2) return bearer;
  auto token = oauth2->get(std::time(nullptr));
  if (!token) return make_error(token.error().code, "OAuth2: " + token.error().message);
  return token;
}

Result<std::string> OAuth2Token::get(std::int64_t now) {
  std::lock_guard lock(mutex_);
  if (!token_.value.empty() && now + defaults::oauth2_renew_before_seconds < token_.expires_at) return token_.value;
  auto fresh = fetch_access_token(client_, now);
  if (!fresh) return fresh.error();
  if (!fresh->refresh_token.empty()) {
    // Microsoft rotates refresh tokens: the new one is the one to use, and outlives a restart
    // when it came from a file guichet may write.
    client_.refresh_token = fresh->refresh_token;
    if (!client_.refresh_token_file.empty()) write_back(client_.refresh_token_file, client_.refresh_token);
  }
  token_ = std::move(*fresh);
  return token_.value;
}

std::int64_t OAuth2Token::expires_at() {
  std::lock_guard lock(mutex_);
  return token_.expires_at;
}

void OAuth2Token::invalidate() {
  std::lock_guard lock(mutex_);
  token_ = AccessToken{};
}

std::shared_ptr<OAuth2Token> shared_token(const OAuth2Client& client) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, std::string, std::string, std::string>, std::shared_ptr<OAuth2Token>> tokens;
  std::lock_guard lock(mutex);
  auto& slot = tokens[{client.token_url, client.client_id, client.scope, client.refresh_token}];
  if (!slot) slot = std::make_shared<OAuth2Token>(client);
  return slot;
}

}  // namespace guichet::transport
