#include "engine/connections.h"

#include "transport/imap.h"
#include "transport/maildir_source.h"
#include "util/strings.h"

namespace guichet::engine {

transport::OAuth2Client oauth2_client(const config::OAuth2& o) {
  transport::OAuth2Client c;
  c.token_url = o.token_url;
  if (c.token_url.empty() && o.provider == "microsoft")
    c.token_url = "https://login.microsoftonline.com/" + o.tenant + "/oauth2/v2.0/token";
  if (c.token_url.empty() && o.provider == "google") c.token_url = "https://oauth2.googleapis.com/token";
  c.client_id = o.client_id;
  c.scope = o.scope;
  // Client credentials ask for the application's rights on Exchange Online as a whole; a refresh
  // token carries the scopes it was granted with.
  if (c.scope.empty() && o.provider == "microsoft" && o.refresh_token.empty())
    c.scope = "https://outlook.office365.com/.default";
  c.refresh_token_file = o.refresh_token.file;
  c.ca_file = o.tls_ca_file;
  c.timeout_seconds = o.timeout_seconds;
  return c;
}

Result<transport::Credentials> credentials(const std::string& user, const SecretRef& password,
                                           const SecretRef& oauth2_token,
                                           const std::optional<config::OAuth2>& oauth2) {
  transport::Credentials c;
  c.user = user;
  if (oauth2) {
    transport::OAuth2Client client = oauth2_client(*oauth2);
    auto secret = read_secret(oauth2->client_secret);
    if (!secret) return make_error(secret.error().code, "oauth2: " + secret.error().message);
    auto refresh = read_secret(oauth2->refresh_token);
    if (!refresh) return make_error(refresh.error().code, "oauth2: " + refresh.error().message);
    client.client_secret = std::move(*secret);
    client.refresh_token = std::move(*refresh);
    c.oauth2 = transport::shared_token(client);
  } else if (!oauth2_token.empty()) {
    auto token = read_secret(oauth2_token);
    if (!token) return token.error();
    c.bearer = std::move(*token);
  } else {
    auto pw = read_secret(password);
    if (!pw) return pw.error();
    c.password = std::move(*pw);
  }
  return c;
}

Result<transport::ImapSettings> imap_settings(const config::Mailbox& mb) {
  auto creds = credentials(mb.user, mb.password, mb.oauth2_token, mb.oauth2);
  if (!creds) return make_error(creds.error().code, "mailbox " + mb.name + ": " + creds.error().message);
  transport::ImapSettings s;
  s.url = mb.url;
  s.credentials = std::move(*creds);
  s.tls_required = mb.tls != "none";
  s.ca_file = mb.tls_ca_file;
  return s;
}

Result<transport::SmtpSettings> smtp_settings(const config::Smtp& smtp) {
  transport::SmtpSettings s;
  s.url = smtp.url;
  if (!istarts_with(smtp.url, "maildir://")) {
    auto creds = credentials(smtp.user, smtp.password, smtp.oauth2_token, smtp.oauth2);
    if (!creds) return make_error(creds.error().code, "smtp: " + creds.error().message);
    s.credentials = std::move(*creds);
  }
  s.tls_required = smtp.tls != "none";
  s.ca_file = smtp.tls_ca_file;
  s.timeout_seconds = smtp.timeout_seconds;
  return s;
}

Result<std::unique_ptr<transport::Source>> make_source(const config::Mailbox& mb) {
  const std::string maildir = "maildir://";
  if (istarts_with(mb.url, maildir)) return transport::make_maildir_source(mb.url.substr(maildir.size()));
  auto s = imap_settings(mb);
  if (!s) return s.error();
  return transport::make_imap_source(std::move(*s));
}

Result<std::unique_ptr<transport::Sender>> make_sender(const config::Smtp& smtp) {
  auto s = smtp_settings(smtp);
  if (!s) return s.error();
  return transport::make_sender(*s);
}

std::optional<config::Mailbox> sent_folder_of(const config::Mailbox& mb) {
  if (mb.sent_folder.empty() || istarts_with(mb.url, "maildir://")) return std::nullopt;
  config::Mailbox sent = mb;
  const size_t scheme = sent.url.find("://");
  const size_t path = scheme == std::string::npos ? std::string::npos : sent.url.find('/', scheme + 3);
  sent.url = (path == std::string::npos ? sent.url : sent.url.substr(0, path)) + "/" + mb.sent_folder;
  sent.name = mb.name + ":sent";
  sent.sent_folder_of = mb.name;
  sent.sent_folder.clear();
  sent.after = "leave";
  sent.start = "now";
  return sent;
}

transport::After after_of(const config::Mailbox& mb) {
  transport::After a;
  if (mb.after == "seen") a.kind = transport::After::Kind::seen;
  else if (mb.after == "leave") a.kind = transport::After::Kind::leave;
  else if (istarts_with(mb.after, "move:")) {
    a.kind = transport::After::Kind::move;
    a.folder = mb.after.substr(5);
  }
  return a;
}

}  // namespace guichet::engine
