#include "engine/connections.h"

#include "transport/imap.h"
#include "transport/maildir_source.h"
#include "util/strings.h"

namespace guichet::engine {

Result<transport::Credentials> credentials(const std::string& user, const SecretRef& password,
                                           const SecretRef& oauth2_token) {
  transport::Credentials c;
  c.user = user;
  if (!oauth2_token.empty()) {
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
  auto creds = credentials(mb.user, mb.password, mb.oauth2_token);
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
    auto creds = credentials(smtp.user, smtp.password, smtp.oauth2_token);
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
