#include "config/config.h"

#include "mail/address.h"

#include <cstdio>
#include <filesystem>
#include <set>

#include "calendar/calendar.h"
#include "yaml/yaml_doc.h"
#include "util/strings.h"

namespace guichet::config {

using yaml::YamlDoc;

namespace fs = std::filesystem;

const Mailbox* Config::mailbox(const std::string& name) const {
  for (const auto& m : mailboxes) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

namespace {

const yaml::Keys kMailboxKeys{
    "mailboxes",
    {"name", "url", "tls", "user", "password_file", "password_env", "department", "after", "sent_folder",
     "poll_seconds", "start", "address", "password_credential", "oauth2_token_file", "tls_ca_file", "watch",
     "oauth2"}};
const yaml::Keys kSmtpKeys{"smtp",
                           {"url", "user", "password_file", "password_env", "password_credential", "oauth2_token_file",
                            "tls", "tls_ca_file", "timeout_seconds", "retry_hours", "from", "oauth2"}};
const yaml::Keys kOAuth2Keys{"oauth2",
                             {"provider", "tenant", "token_url", "client_id", "client_secret_file", "client_secret_env",
                              "client_secret_credential", "refresh_token_file", "refresh_token_env",
                              "refresh_token_credential", "scope", "tls_ca_file", "timeout_seconds"}};
const yaml::Keys kTopKeys{"", {"commune", "database", "reference_prefix", "timezone", "calendar", "directory", "rules",
                                "templates", "mailboxes", "smtp", "acknowledgements", "admin", "alert_after_minutes",
                                "address_separator", "trusted_authserv_id", "token_key_file", "token_key_credential",
                                "procedures", "missing_pieces_delay", "deadlines", "web", "retention"}};
const yaml::Keys kAcknowledgementKeys{"acknowledgements", {"per_day", "per_week"}};
const yaml::Keys kProcedureKeys{"procedures", {"silence", "delay", "label"}};
const yaml::Keys kDeadlineKeys{"deadlines", {"every_minutes", "digest_at", "unanswered_days", "working_hours"}};
const yaml::Keys kWebKeys{
    "web", {"listen", "base_url", "trusted_proxy", "proxy_user_header", "session_idle_days", "link_minutes"}};
const yaml::Keys kRetentionKeys{"retention", {"closed", "machine"}};

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

// maildir:///abs/path or maildir://relative/path (relative to the config file).
std::string resolve_url(const std::string& base_dir, const std::string& url) {
  const std::string scheme = "maildir://";
  if (!istarts_with(url, scheme)) return url;
  return scheme + resolve(base_dir, url.substr(scheme.size()));
}

bool one_of(const std::string& v, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (v == o) return true;
  }
  return false;
}

// The same keys for a mailbox and for SMTP: one of password_file, password_env,
// password_credential (a systemd credential), oauth2_token_file.
void read_credentials(YamlDoc& doc, const YAML::Node& n, const std::string& base_dir, SecretRef& password,
                      SecretRef& token) {
  if (auto v = doc.string(n, "password_file")) password.file = resolve(base_dir, *v);
  if (auto v = doc.string(n, "password_env")) password.env = *v;
  if (auto v = doc.string(n, "password_credential")) password.credential = *v;
  if (auto v = doc.string(n, "oauth2_token_file")) token.file = resolve(base_dir, *v);
  const int given = !password.file.empty() + !password.env.empty() + !password.credential.empty() + !token.empty();
  if (given > 1) doc.error(n, "give one of password_file, password_env, password_credential, oauth2_token_file");
}

// One secret named three ways, "<stem>_file", "<stem>_env" or "<stem>_credential"; at most one.
SecretRef read_secret_ref(YamlDoc& doc, const YAML::Node& n, const std::string& base_dir, const std::string& stem) {
  SecretRef r;
  if (auto v = doc.string(n, (stem + "_file").c_str())) r.file = resolve(base_dir, *v);
  if (auto v = doc.string(n, (stem + "_env").c_str())) r.env = *v;
  if (auto v = doc.string(n, (stem + "_credential").c_str())) r.credential = *v;
  if (!r.file.empty() + !r.env.empty() + !r.credential.empty() > 1)
    doc.error(n, "give one of " + stem + "_file, " + stem + "_env, " + stem + "_credential");
  return r;
}

// The oauth2: block of a mailbox or of smtp. `owner` is the map holding it, for the checks that
// involve its other keys (a user, no password beside it).
std::optional<OAuth2> read_oauth2(YamlDoc& doc, const YAML::Node& owner, const std::string& base_dir,
                                  const std::string& user, bool has_password) {
  const YAML::Node n = owner["oauth2"];
  if (!n.IsDefined()) return std::nullopt;
  if (!doc.expect_map(n, "oauth2")) return std::nullopt;
  doc.check_keys(n, kOAuth2Keys);
  OAuth2 o;
  if (auto v = doc.string(n, "provider")) {
    o.provider = *v;
    if (!one_of(o.provider, {"microsoft", "google"}))
      doc.error(n["provider"], "provider must be \"microsoft\" or \"google\" (or leave it out and give token_url)");
  }
  if (auto v = doc.string(n, "tenant")) o.tenant = *v;
  if (auto v = doc.string(n, "token_url")) {
    o.token_url = *v;
    if (!istarts_with(o.token_url, "https://")) doc.error(n["token_url"], "token_url must start with https://");
  }
  if (auto v = doc.string(n, "client_id", true)) o.client_id = *v;
  o.client_secret = read_secret_ref(doc, n, base_dir, "client_secret");
  o.refresh_token = read_secret_ref(doc, n, base_dir, "refresh_token");
  if (auto v = doc.string(n, "scope")) o.scope = *v;
  if (auto v = doc.string(n, "tls_ca_file")) o.tls_ca_file = resolve(base_dir, *v);
  if (auto v = doc.integer(n, "timeout_seconds", 1, 600)) o.timeout_seconds = static_cast<int>(*v);
  if (o.provider == "microsoft" && o.tenant.empty() && o.token_url.empty())
    doc.error(n, "oauth2: provider microsoft needs tenant (the directory id or domain), or token_url");
  if (o.provider.empty() && o.token_url.empty()) doc.error(n, "oauth2: give provider (microsoft, google) or token_url");
  // Client credentials authenticate the application itself: without a secret there is nothing to
  // show (a public client can only refresh a token it was given).
  if (o.refresh_token.empty() && o.client_secret.empty())
    doc.error(n, "oauth2: give client_secret_file (or _env, _credential) for the client-credentials flow, "
                 "or refresh_token_file (or _env, _credential) for the refresh-token flow");
  if (o.provider == "google" && o.refresh_token.empty())
    doc.error(n, "oauth2: provider google needs refresh_token_file (or _env, _credential): Google gives mail "
                 "access to a delegated account, not to client credentials");
  if (user.empty()) doc.error(n, "oauth2: the mailbox or smtp block needs user (the account the token is for)");
  if (has_password) doc.error(n, "oauth2: give it instead of password_file, password_env, password_credential or "
                                 "oauth2_token_file, not beside them");
  return o;
}

Mailbox read_mailbox(YamlDoc& doc, const YAML::Node& n, const std::string& base_dir) {
  Mailbox m;
  doc.check_keys(n, kMailboxKeys);
  if (auto v = doc.string(n, "name", true)) m.name = *v;
  if (auto v = doc.string(n, "url", true)) {
    m.url = resolve_url(base_dir, *v);
    if (!istarts_with(*v, "imap://") && !istarts_with(*v, "imaps://") && !istarts_with(*v, "maildir://"))
      doc.error(n["url"], "url must start with imap://, imaps:// or maildir://");
  }
  if (auto v = doc.string(n, "tls")) {
    m.tls = *v;
    if (!one_of(m.tls, {"required", "none"})) doc.error(n["tls"], "tls must be \"required\" or \"none\"");
  }
  if (auto v = doc.string(n, "user")) m.user = *v;
  if (auto v = doc.string(n, "tls_ca_file")) m.tls_ca_file = resolve(base_dir, *v);
  if (auto v = doc.string(n, "address")) m.address = *v;
  else if (m.user.find('@') != std::string::npos) m.address = m.user;
  if (!m.address.empty() && !mail::valid_address(m.address))
    doc.error(n[n["address"].IsDefined() ? "address" : "user"], "\"" + m.address + "\" is not a mail address");
  read_credentials(doc, n, base_dir, m.password, m.oauth2_token);
  m.oauth2 = read_oauth2(doc, n, base_dir, m.user, !m.password.empty() || !m.oauth2_token.empty());
  if (auto v = doc.string(n, "department")) m.department = *v;
  if (auto v = doc.string(n, "after")) {
    m.after = *v;
    if (!one_of(m.after, {"flag", "seen", "leave"}) && !(istarts_with(m.after, "move:") && m.after.size() > 5))
      doc.error(n["after"], "after must be \"flag\", \"seen\", \"leave\" or \"move:Folder\"");
  }
  if (auto v = doc.string(n, "sent_folder")) m.sent_folder = *v;
  if (auto v = doc.integer(n, "poll_seconds", 1, 86400)) m.poll_seconds = static_cast<int>(*v);
  if (auto v = doc.boolean(n, "watch")) m.watch = *v;
  if (auto v = doc.string(n, "start")) {
    m.start = *v;
    if (!one_of(m.start, {"now", "all"}) && !(istarts_with(m.start, "since:") && m.start.size() == 16))
      doc.error(n["start"], "start must be \"now\", \"all\" or \"since:YYYY-MM-DD\"");
  }
  return m;
}

Smtp read_smtp(YamlDoc& doc, const YAML::Node& n, const std::string& base_dir) {
  Smtp s;
  doc.check_keys(n, kSmtpKeys);
  if (auto v = doc.string(n, "url", true)) {
    s.url = resolve_url(base_dir, *v);
    if (!istarts_with(*v, "smtp://") && !istarts_with(*v, "smtps://") && !istarts_with(*v, "maildir://"))
      doc.error(n["url"], "url must start with smtp://, smtps:// or maildir://");
  }
  if (auto v = doc.string(n, "user")) s.user = *v;
  read_credentials(doc, n, base_dir, s.password, s.oauth2_token);
  s.oauth2 = read_oauth2(doc, n, base_dir, s.user, !s.password.empty() || !s.oauth2_token.empty());
  if (auto v = doc.string(n, "tls_ca_file")) s.tls_ca_file = resolve(base_dir, *v);
  if (auto v = doc.string(n, "tls")) {
    s.tls = *v;
    if (!one_of(s.tls, {"required", "none"})) doc.error(n["tls"], "tls must be \"required\" or \"none\"");
  }
  if (auto v = doc.integer(n, "timeout_seconds", 1, 3600)) s.timeout_seconds = static_cast<int>(*v);
  if (auto v = doc.integer(n, "retry_hours", 0, 24 * 30)) s.retry_hours = static_cast<int>(*v);
  if (auto v = doc.string(n, "from")) {
    s.from = *v;
    if (!mail::valid_address(s.from)) doc.error(n["from"], "\"" + s.from + "\" is not a mail address");
  }
  return s;
}

}  // namespace

std::vector<yaml::Keys> accepted_keys() {
  return {kTopKeys,      kMailboxKeys,   kSmtpKeys, kOAuth2Keys,   kAcknowledgementKeys,
          kProcedureKeys, kDeadlineKeys, kWebKeys,  kRetentionKeys};
}

namespace {

Result<Config> from_doc(YamlDoc& doc, const std::string& base_dir) {
  Config c;
  c.file = doc.file();
  const YAML::Node& root = doc.root();
  if (root.IsNull()) return c;  // an empty file: all defaults
  if (!doc.expect_map(root, "the configuration")) return doc.result().error();
  doc.check_keys(root, kTopKeys);
  if (auto v = doc.string(root, "commune")) c.commune = *v;
  if (auto v = doc.string(root, "database")) c.database = resolve(base_dir, *v);
  if (auto v = doc.string(root, "reference_prefix")) c.reference_prefix = *v;
  if (auto v = doc.string(root, "timezone")) {
    c.timezone = *v;
    if (!fs::exists(fs::path("/usr/share/zoneinfo") / c.timezone))
      doc.error(root["timezone"], "unknown time zone \"" + c.timezone + "\" (see /usr/share/zoneinfo)");
  }
  if (auto v = doc.string(root, "calendar")) {
    c.calendar = *v;
    if (!calendar::parse_region(*v)) doc.error(root["calendar"], "calendar must be metropole or alsace-moselle");
  }
  if (auto v = doc.string(root, "directory")) c.directory = resolve(base_dir, *v);
  if (auto v = doc.string(root, "rules")) c.rules = resolve(base_dir, *v);
  if (auto v = doc.string(root, "templates")) c.templates = resolve(base_dir, *v);
  if (const YAML::Node mbs = root["mailboxes"]; mbs.IsDefined() && !mbs.IsNull()) {
    if (!mbs.IsSequence()) {
      doc.error(mbs, "mailboxes must be a list");
    } else {
      std::set<std::string> names;
      for (const auto& n : mbs) {
        if (!doc.expect_map(n, "a mailbox")) continue;
        Mailbox m = read_mailbox(doc, n, base_dir);
        if (!m.name.empty() && !names.insert(m.name).second)
          doc.error(n["name"], "mailbox name \"" + m.name + "\" is used twice");
        c.mailboxes.push_back(std::move(m));
      }
    }
  }
  if (const YAML::Node smtp = root["smtp"]; smtp.IsDefined() && !smtp.IsNull()) {
    if (doc.expect_map(smtp, "smtp")) c.smtp = read_smtp(doc, smtp, base_dir);
  }
  if (const YAML::Node a = root["acknowledgements"]; a.IsDefined() && !a.IsNull() && doc.expect_map(a, "acknowledgements")) {
    doc.check_keys(a, kAcknowledgementKeys);
    if (auto v = doc.integer(a, "per_day", 1, 1000)) c.acknowledgements.per_day = static_cast<int>(*v);
    if (auto v = doc.integer(a, "per_week", 1, 10000)) c.acknowledgements.per_week = static_cast<int>(*v);
  }
  if (auto v = doc.string(root, "admin")) {
    c.admin = *v;
    if (!mail::valid_address(c.admin)) doc.error(root["admin"], "\"" + c.admin + "\" is not a mail address");
  }
  if (auto v = doc.integer(root, "alert_after_minutes", 0, 7 * 24 * 60)) c.alert_after_minutes = static_cast<int>(*v);
  if (auto v = doc.string(root, "address_separator")) {
    if (v->size() != 1 || std::string_view("+-=_").find((*v)[0]) == std::string_view::npos)
      doc.error(root["address_separator"], "address_separator must be one of + - = _");
    else
      c.address_separator = (*v)[0];
  }
  if (auto v = doc.string(root, "trusted_authserv_id")) c.trusted_authserv_id = *v;
  if (auto v = doc.string(root, "token_key_file")) c.token_key.file = resolve(base_dir, *v);
  if (auto v = doc.string(root, "token_key_credential")) c.token_key.credential = *v;
  if (!c.token_key.file.empty() && !c.token_key.credential.empty())
    doc.error(root, "give token_key_file or token_key_credential, not both");
  if (auto v = doc.string(root, "missing_pieces_delay")) {
    c.missing_pieces_delay = *v;
    if (auto d = calendar::Delay::parse(*v); !d) doc.error(root["missing_pieces_delay"], d.error().message);
  }
  if (const YAML::Node ps = root["procedures"]; ps.IsDefined() && !ps.IsNull()) {
    if (!ps.IsMap()) {
      doc.error(ps, "procedures must map a name to {silence, delay, label}");
    } else {
      for (const auto& kv : ps) {
        Procedure p;
        p.name = kv.first.Scalar();
        const YAML::Node& n = kv.second;
        if (!doc.expect_map(n, "a procedure")) continue;
        doc.check_keys(n, kProcedureKeys);
        if (auto v = doc.string(n, "label")) p.label = *v;
        if (auto v = doc.string(n, "silence", true)) {
          p.silence = *v;
          if (!one_of(p.silence, {"acceptance", "rejection", "none"}))
            doc.error(n["silence"], "silence must be acceptance, rejection or none");
        }
        if (auto v = doc.string(n, "delay")) {
          p.delay = *v;
          if (auto d = calendar::Delay::parse(*v); !d) doc.error(n["delay"], d.error().message);
        }
        c.procedures.push_back(std::move(p));
      }
    }
  }
  if (const YAML::Node d = root["deadlines"]; d.IsDefined() && !d.IsNull() && doc.expect_map(d, "deadlines")) {
    doc.check_keys(d, kDeadlineKeys);
    if (auto v = doc.integer(d, "every_minutes", 1, 24 * 60)) c.deadlines.every_minutes = static_cast<int>(*v);
    if (auto v = doc.integer(d, "unanswered_days", 1, 365)) c.deadlines.unanswered_days = static_cast<int>(*v);
    auto clock_time = [](const std::string& t) -> std::optional<int> {
      int h = 0, m = 0;
      char tail = 0;
      if (std::sscanf(t.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
        return std::nullopt;
      return h * 60 + m;
    };
    if (auto v = doc.string(d, "digest_at")) {
      if (*v == "off") c.deadlines.digest_minute = -1;
      else if (auto t = clock_time(*v)) c.deadlines.digest_minute = *t;
      else doc.error(d["digest_at"], "digest_at must be a time of day, HH:MM, or off");
    }
    if (auto v = doc.string(d, "working_hours")) {
      const size_t dash = v->find('-');
      auto a = dash == std::string::npos ? std::nullopt : clock_time(std::string(trim(v->substr(0, dash))));
      auto b = dash == std::string::npos ? std::nullopt : clock_time(std::string(trim(v->substr(dash + 1))));
      if (a && b && *a < *b) {
        c.deadlines.day_start_minute = *a;
        c.deadlines.day_end_minute = *b;
      } else {
        doc.error(d["working_hours"], "working_hours must be HH:MM-HH:MM, the start before the end");
      }
    }
  }
  if (const YAML::Node w = root["web"]; w.IsDefined() && !w.IsNull() && doc.expect_map(w, "web")) {
    doc.check_keys(w, kWebKeys);
    if (auto v = doc.string(w, "listen")) {
      c.web.listen = *v;
      const size_t colon = v->rfind(':');
      const bool unix_socket = istarts_with(*v, "unix:") && v->size() > 5;  // a relative path: from this file
      if (!unix_socket && (colon == std::string::npos || colon == 0 ||
                           v->find_first_not_of("0123456789", colon + 1) != std::string::npos || colon + 1 == v->size()))
        doc.error(w["listen"], "listen must be host:port or unix:/path");
      if (unix_socket) c.web.listen = v->substr(0, 5) + resolve(base_dir, v->substr(5));
    }
    if (auto v = doc.string(w, "base_url")) {
      c.web.base_url = *v;
      while (!c.web.base_url.empty() && c.web.base_url.back() == '/') c.web.base_url.pop_back();
      if (!istarts_with(*v, "https://") && !istarts_with(*v, "http://"))
        doc.error(w["base_url"], "base_url must start with https:// (or http:// on a test machine)");
    }
    if (auto v = doc.string(w, "trusted_proxy")) c.web.trusted_proxy = *v;
    if (auto v = doc.string(w, "proxy_user_header")) c.web.proxy_user_header = *v;
    if (!c.web.proxy_user_header.empty() && c.web.trusted_proxy.empty() && !istarts_with(c.web.listen, "unix:"))
      doc.error(w["proxy_user_header"], "proxy_user_header needs trusted_proxy: the header is believed from the proxy only");
    if (auto v = doc.integer(w, "session_idle_days", 1, 365)) c.web.session_idle_days = static_cast<int>(*v);
    if (auto v = doc.integer(w, "link_minutes", 1, 24 * 60)) c.web.link_minutes = static_cast<int>(*v);
  }
  if (const YAML::Node r = root["retention"]; r.IsDefined() && !r.IsNull() && doc.expect_map(r, "retention")) {
    doc.check_keys(r, kRetentionKeys);
    // A closed request can be reopened by the resident's reply for 30 days; a shorter retention
    // is a typing error, not a policy.
    auto period = [&](const char* key, int min_days, std::string& into) {
      auto v = doc.string(r, key);
      if (!v) return;
      auto d = calendar::Delay::parse(*v);
      if (!d) {
        doc.error(r[key], d.error().message);
        return;
      }
      const int days = d->unit == calendar::Delay::Unit::months ? d->amount * 31 : d->amount;
      if (days < min_days || d->amount <= 0)
        doc.error(r[key], std::string("retention ") + key + " must be at least " + std::to_string(min_days) + " days");
      else
        into = *v;
    };
    period("closed", 30, c.retention.closed);
    period("machine", 1, c.retention.machine);
  }
  if (!c.rules.empty() && c.directory.empty()) doc.error(root["rules"], "rules need a directory (the \"directory\" key)");
  if (auto r = doc.result(); !r) return r.error();
  return c;
}

}  // namespace

std::vector<std::string> Config::own_addresses() const {
  std::vector<std::string> out;
  for (const auto& m : mailboxes) {
    if (!m.address.empty()) out.push_back(to_lower(m.address));
    if (m.user.find('@') != std::string::npos) out.push_back(to_lower(m.user));
  }
  if (smtp && !smtp->from.empty()) out.push_back(to_lower(smtp->from));
  return out;
}

Result<Config> parse(const std::string& text, const std::string& name, const std::string& base_dir) {
  auto doc = YamlDoc::parse(text, name);
  if (!doc) return doc.error();
  return from_doc(*doc, base_dir);
}

Result<Config> load(const std::string& path) {
  std::error_code ec;
  if (path == kDefaultPath && !fs::exists(path, ec)) return Config{};
  if (!fs::exists(path, ec)) return Error{Errc::config, path + ": no such configuration file"};
  auto doc = YamlDoc::load(path);
  if (!doc) return doc.error();
  std::string base_dir = fs::absolute(path).parent_path().string();
  return from_doc(*doc, base_dir);
}

}  // namespace guichet::config
