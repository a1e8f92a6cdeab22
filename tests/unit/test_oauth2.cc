// OAuth2 done by guichet itself (transport/oauth2.h) against a real identity provider on loopback
// (tests/servers/token_server.py, HTTPS with a test CA): Microsoft 365's client credentials and
// Google's refresh token, the token shared and renewed before it expires, never logged; XOAUTH2 to
// an SMTP server and to Dovecot's own oauth2 passdb; and each way it goes wrong (an expired secret,
// the endpoint down, an HTML page, a missing key) said clearly, with no mail lost.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "engine/connections.h"
#include "helpers.h"
#include "servers.h"
#include "transport/oauth2.h"

using namespace guichet;
using nlohmann::json;
using Status = transport::SendResult::Status;

namespace {

const std::string kClients = R"({
  "guichet-app": {"secret": "app-s3cret", "username": "guichet"},
  "expired-app": {"secret": "old-s3cret", "username": "guichet", "secret_expired": true},
  "delegated": {"secret": "g-s3cret", "refresh_tokens": ["refresh-1"], "username": "guichet", "rotate": true}
})";

transport::OAuth2Client client_of(const test::TokenServer& idp, const std::string& id, const std::string& secret) {
  transport::OAuth2Client c;
  c.token_url = idp.token_url();
  c.client_id = id;
  c.client_secret = secret;
  c.scope = "https://outlook.office365.com/.default";
  c.ca_file = idp.ca_file();
  c.timeout_seconds = 5;
  return c;
}

// An oauth2: block of guichet.yaml for this provider.
std::string oauth2_block(const test::TokenServer& idp, const std::string& indent, const std::string& client,
                         const std::string& secret_file) {
  return indent + "oauth2:\n" + indent + "  token_url: " + idp.token_url() + "\n" + indent + "  client_id: " + client +
         "\n" + indent + "  client_secret_file: " + secret_file + "\n" + indent + "  tls_ca_file: " + idp.ca_file() +
         "\n";
}

}  // namespace

TEST_CASE("client credentials: one request for many connections, renewed near expiry or when refused", "[oauth2]") {
  test::TokenServer idp;
  idp.set_clients(kClients);
  idp.start();
  transport::OAuth2Token token(client_of(idp, "guichet-app", "app-s3cret"));
  const std::int64_t now = std::time(nullptr);
  auto first = token.get(now);
  INFO((first ? "" : first.error().message) << idp.log());
  REQUIRE(first);
  CHECK(first->rfind("tok-", 0) == 0);
  CHECK(*token.get(now + 60) == *first);  // cached
  CHECK(idp.requests() == 1);
  CHECK(token.expires_at() == now + 3600);
  // Five minutes before it expires, the next connection gets a new one.
  auto later = token.get(now + 3600 - 200);
  REQUIRE(later);
  CHECK(*later != *first);
  CHECK(idp.requests() == 2);
  // A server refused it (revoked): asked again at once.
  token.invalidate();
  REQUIRE(token.get(now + 3600 - 100));
  CHECK(idp.requests() == 3);
  // Connections made and remade by the daemon share one token per client.
  auto a = transport::shared_token(client_of(idp, "guichet-app", "app-s3cret"));
  auto b = transport::shared_token(client_of(idp, "guichet-app", "app-s3cret"));
  CHECK(a == b);
  CHECK(idp.log().find("app-s3cret") == std::string::npos);
}

TEST_CASE("refresh token: Google's flow, and a rotated refresh token written back for the next start", "[oauth2]") {
  test::TokenServer idp;
  idp.set_clients(kClients);
  idp.start();
  test::TempDir dir;
  test::write_file(dir.path() / "refresh", "refresh-1\n");
  auto c = client_of(idp, "delegated", "g-s3cret");
  c.scope.clear();
  c.refresh_token = "refresh-1";
  c.refresh_token_file = dir.str("refresh");
  transport::OAuth2Token token(c);
  auto t = token.get(std::time(nullptr));
  INFO((t ? "" : t.error().message));
  REQUIRE(t);
  const std::string rotated = test::read_file(dir.str("refresh"));
  CHECK(rotated.rfind("refresh-", 0) == 0);
  CHECK(rotated != "refresh-1\n");
  CHECK(idp.clients().find(rotated.substr(0, rotated.size() - 1)) != std::string::npos);
  struct stat st {};
  REQUIRE(stat(dir.str("refresh").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // The next renewal uses the new refresh token.
  token.invalidate();
  CHECK(token.get(std::time(nullptr)));
}

TEST_CASE("an identity provider that refuses, answers HTML, or is down: its words, never the secret", "[oauth2]") {
  test::TokenServer idp;
  idp.set_clients(kClients);
  idp.start();
  const std::int64_t now = std::time(nullptr);
  auto expired = transport::fetch_access_token(client_of(idp, "expired-app", "old-s3cret"), now);
  REQUIRE_FALSE(expired);
  INFO(expired.error().message);
  CHECK(expired.error().message.find("the identity provider refused") != std::string::npos);
  CHECK(expired.error().message.find("invalid_client: AADSTS7000222") != std::string::npos);
  CHECK(expired.error().message.find("old-s3cret") == std::string::npos);
  auto wrong = transport::fetch_access_token(client_of(idp, "guichet-app", "not-it"), now);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("AADSTS7000215") != std::string::npos);

  idp.set_mode("html");
  auto html = transport::fetch_access_token(client_of(idp, "guichet-app", "app-s3cret"), now);
  REQUIRE_FALSE(html);
  INFO(html.error().message);
  CHECK(html.error().message.find("HTTP 200 with text/html") != std::string::npos);
  CHECK(html.error().message.find("not JSON: Portail captif - Mairie de Champignac") != std::string::npos);
  idp.set_mode("503");
  auto busy = transport::fetch_access_token(client_of(idp, "guichet-app", "app-s3cret"), now);
  REQUIRE_FALSE(busy);
  CHECK(busy.error().message.find("HTTP 503") != std::string::npos);

  idp.set_mode("ok");
  auto untrusted = client_of(idp, "guichet-app", "app-s3cret");
  untrusted.ca_file.clear();
  auto tls = transport::fetch_access_token(untrusted, now);
  REQUIRE_FALSE(tls);
  CHECK(tls.error().message.find("certificate") != std::string::npos);

  idp.stop();
  auto down = transport::fetch_access_token(client_of(idp, "guichet-app", "app-s3cret"), now);
  REQUIRE_FALSE(down);
  CHECK(down.error().message.find("is unreachable") != std::string::npos);
  CHECK(down.error().code == Errc::temp_fail);
}

TEST_CASE("an oauth2 block with a missing or wrong key says file:line:column", "[oauth2][config]") {
  test::TempDir dir;
  auto errors_of = [&](const std::string& yaml) {
    test::write_file(dir.path() / "guichet.yaml", yaml);
    auto c = config::load(dir.str("guichet.yaml"));
    REQUIRE_FALSE(c);
    return c.error().message;
  };
  const std::string head = "mailboxes:\n  - name: urbanisme\n    url: imaps://outlook.office365.com/INBOX\n";
  auto missing = errors_of(head +
                           "    user: urbanisme@champignac.example\n    oauth2:\n      provider: microsoft\n"
                           "      tenant: champignac.onmicrosoft.com\n      client_secret_file: secret\n");
  INFO(missing);
  CHECK(missing.find("guichet.yaml:6:7: ") != std::string::npos);
  CHECK(missing.find("client_id") != std::string::npos);
  auto wrong = errors_of(head +
                         "    user: u@champignac.example\n    password_file: pw\n    oauth2:\n"
                         "      provider: microsoft\n      client_id: x\n      client_secret_file: s\n"
                         "      token_url: http://login.example/token\n      client_secret: inline\n");
  INFO(wrong);
  CHECK(wrong.find("token_url must start with https://") != std::string::npos);
  CHECK(wrong.find("unknown key \"client_secret\"") != std::string::npos);
  CHECK(wrong.find("instead of password_file") != std::string::npos);
  auto google = errors_of(
      "smtp:\n  url: smtps://smtp.gmail.com\n  oauth2:\n    provider: google\n"
      "    client_id: x\n    client_secret_file: s\n");
  INFO(google);
  CHECK(google.find("guichet.yaml:4:5: ") != std::string::npos);
  CHECK(google.find("refresh_token_file") != std::string::npos);
  CHECK(google.find("needs user") != std::string::npos);

  // A good block: Microsoft's endpoint and scope filled in from the tenant.
  test::write_file(dir.path() / "guichet.yaml",
                   head +
                       "    user: urbanisme@champignac.example\n    oauth2:\n      provider: microsoft\n"
                       "      tenant: champignac.onmicrosoft.com\n      client_id: 3f1c\n"
                       "      client_secret_credential: urbanisme-oauth2\n");
  auto ok = config::load(dir.str("guichet.yaml"));
  INFO((ok ? "" : ok.error().message));
  REQUIRE(ok);
  const auto c = engine::oauth2_client(*ok->mailboxes[0].oauth2);
  CHECK(c.token_url == "https://login.microsoftonline.com/champignac.onmicrosoft.com/oauth2/v2.0/token");
  CHECK(c.scope == "https://outlook.office365.com/.default");
}

TEST_CASE("SMTP with AUTH XOAUTH2: sent with a fetched token, and an expired secret keeps the mail queued",
          "[oauth2][smtp]") {
  test::TokenServer idp;
  idp.set_clients(kClients);
  idp.start();
  test::SmtpOptions o;
  o.tls = "smtps";
  o.bearers = idp.bearers_file();
  test::SmtpServer smtp(o);
  smtp.start();
  test::TempDir dir;
  test::write_file(dir.path() / "secret", "app-s3cret\n");
  test::write_file(dir.path() / "old-secret", "old-s3cret\n");
  auto yaml = [&](const std::string& client, const std::string& secret) {
    return "database: g.db\nsmtp:\n  url: " + smtp.url() +
           "\n  user: guichet@champignac.example\n  tls_ca_file: " + smtp.ca_file() + "\n  timeout_seconds: 5\n" +
           oauth2_block(idp, "  ", client, secret);
  };
  test::write_file(dir.path() / "guichet.yaml", yaml("guichet-app", "secret"));
  auto cfg = config::load(dir.str("guichet.yaml"));
  REQUIRE(cfg);
  auto sender = engine::make_sender(*cfg->smtp);
  REQUIRE(sender);
  for (int i = 0; i < 2; ++i) {
    auto res =
        (*sender)->send("voirie@champignac.example", "lea.martin@example.org",
                        "Subject: Accuse\r\nMessage-ID: <oauth-" + std::to_string(i) + "@x>\r\n\r\nBonjour.\r\n");
    INFO(res.detail << smtp.log());
    CHECK(res.status == Status::sent);
  }
  CHECK(smtp.received().size() == 2);
  CHECK(idp.requests() == 1);  // one token for both

  // smtp test shows the token step.
  auto probe = test::run_guichet("smtp test --json --config '" + dir.str("guichet.yaml") + "'");
  INFO(probe.out << probe.err);
  CHECK(probe.status == 0);
  CHECK(probe.out.find("\"OAuth2\"") != std::string::npos);

  test::write_file(dir.path() / "guichet.yaml", yaml("expired-app", "old-secret"));
  auto expired_cfg = config::load(dir.str("guichet.yaml"));
  REQUIRE(expired_cfg);
  auto expired = engine::make_sender(*expired_cfg->smtp);
  REQUIRE(expired);
  auto res = (*expired)->send("voirie@champignac.example", "lea.martin@example.org", "Subject: x\r\n\r\ny\r\n");
  INFO(res.detail);
  CHECK(res.status == Status::temporary);
  CHECK(res.setup);  // kept past the retry horizon, and shown by guichet status
  CHECK(res.detail.find("AADSTS7000222") != std::string::npos);
  CHECK(smtp.received().size() == 2);
  auto failing = test::run_guichet("smtp test --json --config '" + dir.str("guichet.yaml") + "'");
  CHECK(failing.status == 78);                                            // the admin's to mend: a new secret
  CHECK(failing.out.find("\"step\": \"connect\"") == std::string::npos);  // no connection without a token
  CHECK(failing.out.find("AADSTS7000222") != std::string::npos);
}

TEST_CASE("IMAP with XOAUTH2 against Dovecot's oauth2 passdb, and the endpoint down loses no mail", "[oauth2][dovecot]") {
  test::TokenServer idp;
  idp.set_clients(kClients);
  idp.start();
  test::Dovecot dovecot;
  dovecot.use_oauth2(idp);
  dovecot.start();
  test::TempDir dir;
  test::write_file(dir.path() / "secret", "app-s3cret\n");
  const std::string src = GUICHET_SOURCE_DIR;
  test::write_file(dir.path() / "guichet.yaml",
                   "database: g.db\ndirectory: " + src + "/etc/directory.yaml\nrules: " + src +
                       "/rules\nmailboxes:\n  - name: voirie\n    url: " + dovecot.url() +
                       "\n    tls: none\n    user: guichet\n    department: voirie\n    start: all\n" +
                       oauth2_block(idp, "    ", "guichet-app", "secret") + "smtp:\n  url: maildir://out\n");
  const std::string args = "--config '" + dir.str("guichet.yaml") + "'";
  auto probe = test::run_guichet("mailbox test voirie --json " + args);
  INFO(probe.out << probe.err << dovecot.log());
  REQUIRE(probe.status == 0);
  const json steps = json::parse(probe.out);
  CHECK(steps[1]["step"] == "OAuth2");
  const std::string valid = steps[1]["detail"];
  CHECK((valid.find("valid 59 min") != std::string::npos || valid.find("valid 60 min") != std::string::npos));
  CHECK(probe.out.find("(XOAUTH2)") != std::string::npos);

  dovecot.deliver(
      "From: Léa <lea@example.org>\r\nTo: voirie@champignac.example\r\nSubject: Trou rue Haute\r\n"
      "Message-ID: <oauth-imap-1@example.org>\r\nDate: Tue, 17 Nov 2026 09:30:00 +0100\r\n\r\nBonjour.\r\n");
  auto first = test::run_guichet("serve --once " + args);
  INFO(first.err);
  CHECK(first.status == 0);
  auto listed = test::run_guichet("list --json " + args);
  CHECK(json::parse(listed.out).size() == 1);

  // The identity provider goes away: the mailbox fails and says why; the mail waits on the server.
  idp.stop();
  dovecot.deliver(
      "From: Paul <paul@example.org>\r\nTo: voirie@champignac.example\r\nSubject: Lampadaire\r\n"
      "Message-ID: <oauth-imap-2@example.org>\r\nDate: Tue, 17 Nov 2026 10:30:00 +0100\r\n\r\nBonjour.\r\n");
  auto down = test::run_guichet("serve --once " + args);
  auto status = test::run_guichet("status " + args);
  INFO(down.err << status.out);
  CHECK(status.status == 75);
  CHECK(status.out.find("FAILING since") != std::string::npos);
  CHECK(status.out.find("OAuth2: the token endpoint " + idp.token_url() + " is unreachable") != std::string::npos);
  idp.start();
  auto back = test::run_guichet("serve --once " + args);
  CHECK(back.status == 0);
  CHECK(json::parse(test::run_guichet("list --json " + args).out).size() == 2);
  // Never in a log line: the secret, or any token issued.
  const std::string logs = first.err + down.err + back.err + probe.err;
  CHECK(logs.find("app-s3cret") == std::string::npos);
  CHECK(logs.find("tok-") == std::string::npos);
}
