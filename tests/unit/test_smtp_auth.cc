// SMTP AUTH and TLS against a real server (aiosmtpd with a test CA, tests/servers/smtp_server.py):
// STARTTLS and implicit TLS, AUTH PLAIN and LOGIN. A wrong password, an untrusted certificate and
// a server that takes no login each say why, deliver nothing, and keep the mail queued, past the
// retry horizon, until an admin mends the set-up; `guichet status` says what waits and why.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "engine/connections.h"
#include "engine/outbox.h"
#include "helpers.h"
#include "servers.h"
#include "store/outbox.h"
#include "store/store.h"

using namespace guichet;
using Status = transport::SendResult::Status;

namespace {

const std::string kMail =
    "From: Mairie <voirie@champignac.example>\r\nTo: lea.martin@example.org\r\nSubject: Votre demande\r\n"
    "Message-ID: <auth-test@champignac.example>\r\n\r\nBonjour,\r\nnous avons bien reçu votre courriel.\r\n";

// Settings for `server` as a town would write them: user agent, a password file, its CA trusted.
config::Smtp settings_for(const test::SmtpServer& server, const test::TempDir& dir, const std::string& password,
                          bool trust_ca = true) {
  test::write_file(dir.path() / "smtp-password", password + "\n");
  config::Smtp c;
  c.url = server.url();
  c.user = "agent";
  c.password.file = dir.str("smtp-password");
  if (trust_ca) c.tls_ca_file = server.ca_file();
  c.timeout_seconds = 5;
  return c;
}

test::SmtpOptions options(const std::string& tls, const std::string& auth = "", const std::string& only = "") {
  test::SmtpOptions o;
  o.tls = tls;
  o.auth = auth;
  o.only = only;
  return o;
}

transport::SendResult send_once(const config::Smtp& c) {
  auto sender = engine::make_sender(c);
  REQUIRE(sender);
  return (*sender)->send("voirie@champignac.example", "lea.martin@example.org", kMail);
}

}  // namespace

TEST_CASE("STARTTLS then AUTH PLAIN, trusting the town's CA: delivered", "[smtp][tls][auth]") {
  test::SmtpServer server(options("starttls", "agent:s3cret"));
  server.start();
  test::TempDir dir;
  const auto res = send_once(settings_for(server, dir, "s3cret"));
  INFO(res.detail << server.log());
  CHECK(res.status == Status::sent);
  REQUIRE(server.received().size() == 1);
  CHECK(server.received()[0].find("nous avons bien reçu") != std::string::npos);
  CHECK(server.envelopes()[0].find("lea.martin@example.org") != std::string::npos);
}

TEST_CASE("implicit TLS (smtps) with AUTH LOGIN: delivered, twice over one connection", "[smtp][tls][auth]") {
  test::SmtpServer server(options("smtps", "agent:s3cret", "LOGIN"));
  server.start();
  test::TempDir dir;
  auto sender = engine::make_sender(settings_for(server, dir, "s3cret"));
  REQUIRE(sender);
  for (int i = 0; i < 2; ++i) {
    const auto res = (*sender)->send("voirie@champignac.example", "lea.martin@example.org", kMail);
    INFO(res.detail << server.log());
    CHECK(res.status == Status::sent);
  }
  CHECK(server.received().size() == 2);
}

TEST_CASE("a wrong password is the town's set-up: nothing sent, the server's words, kept for retry",
          "[smtp][tls][auth]") {
  test::SmtpServer server(options("starttls", "agent:s3cret"));
  server.start();
  test::TempDir dir;
  const auto res = send_once(settings_for(server, dir, "not-the-password"));
  INFO(res.detail);
  CHECK(res.status == Status::temporary);
  CHECK(res.setup);
  CHECK(res.detail.find("535") != std::string::npos);
  CHECK(res.detail.find("not-the-password") == std::string::npos);
  CHECK(server.received().empty());
}

TEST_CASE("a certificate no trusted CA signed: refused before the password, said so", "[smtp][tls]") {
  for (const std::string tls : {"starttls", "smtps"}) {
    test::SmtpServer server(options(tls, "agent:s3cret"));
    server.start();
    test::TempDir dir;
    const auto res = send_once(settings_for(server, dir, "s3cret", /*trust_ca=*/false));
    INFO(tls << ": " << res.detail);
    CHECK(res.status == Status::temporary);
    CHECK(res.setup);
    CHECK(res.detail.find("certificate") != std::string::npos);
    CHECK(server.received().empty());
    CHECK(server.log().find("s3cret") == std::string::npos);
  }
}

TEST_CASE("a server that offers no AUTH gets no mail from a configured user", "[smtp][tls][auth]") {
  // libcurl logs in only when AUTH is listed, and sends without it otherwise: the relay would take
  // the town's mail as anyone's, or refuse it for good (5.7.1) and lose it.
  test::SmtpServer server(options("starttls"));
  server.start();
  test::TempDir dir;
  const auto res = send_once(settings_for(server, dir, "s3cret"));
  INFO(res.detail << server.log());
  CHECK(res.status == Status::temporary);
  CHECK(res.setup);
  CHECK(res.detail.find("offers no AUTH") != std::string::npos);
  CHECK(server.received().empty());
  // Refused as anyone's at RCPT TO (a relay that wants a login it cannot take): not the
  // recipient's fault either, so not a permanent failure.
  server.set_mode("550");
  const auto refused = send_once(settings_for(server, dir, "s3cret"));
  INFO(refused.detail);
  CHECK(refused.status == Status::temporary);
  CHECK(refused.setup);
  CHECK(refused.detail.find("550") != std::string::npos);

  // A server that lists AUTH only after STARTTLS, with tls: none: no login is tried in plain
  // text, and its refusal of MAIL FROM (530) is the set-up's fault, not the recipient's.
  test::SmtpServer tls_first(options("starttls", "agent:s3cret"));
  tls_first.start();
  auto plain = settings_for(tls_first, dir, "s3cret");
  plain.tls = "none";
  const auto res2 = send_once(plain);
  INFO(res2.detail);
  CHECK(res2.status == Status::temporary);
  CHECK(res2.setup);
  CHECK(res2.detail.find("530") != std::string::npos);
  CHECK(tls_first.received().empty());
}

TEST_CASE("a refused login keeps the mail queued past the retry horizon, then it goes, and status says why",
          "[smtp][tls][auth][outbox]") {
  test::SmtpServer server(options("starttls", "agent:s3cret"));
  server.start();
  test::TempDir dir;
  auto opened = store::Store::open(dir.str("g.db"));
  REQUIRE(opened);
  store::Store& st = *opened;
  FixedClock clock{1795426200};
  {
    store::OutboxMail m;
    m.kind = store::OutboxKind::alert;
    m.message_id = "auth-test@champignac.example";
    m.envelope_from = "voirie@champignac.example";
    m.recipient = "lea.martin@example.org";
    m.message = kMail;
    m.created_at = m.next_attempt_at = clock.now();
    m.give_up_at = clock.now() + 3600;  // retry_hours: 1
    auto tx = st.transaction();
    REQUIRE(tx);
    REQUIRE(st.outbox().enqueue(m));
    REQUIRE(tx->commit());
  }
  engine::DrainOptions options;
  options.retry_hours = 1;
  auto wrong = engine::make_sender(settings_for(server, dir, "not-the-password"));
  REQUIRE(wrong);
  for (int hour = 0; hour < 6; ++hour) {  // six times the horizon
    auto stats = engine::drain(st, **wrong, clock, options);
    REQUIRE(stats);
    CHECK(stats->failed == 0);
    clock.set(clock.now() + 3600);
  }
  auto rows = st.outbox().list({}, 0);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].status == store::OutboxStatus::queued);
  CHECK((*rows)[0].attempts == 6);
  CHECK((*rows)[0].last_error.find("535") != std::string::npos);

  // guichet status: exit 75, the waiting mail and the server's words.
  test::write_file(dir.path() / "guichet.yaml", "database: g.db\nalert_after_minutes: 1\n");
  auto status = test::run_guichet("status --json --config '" + dir.str("guichet.yaml") + "'");
  INFO(status.out << status.err);
  CHECK(status.status == 75);
  const auto j = nlohmann::json::parse(status.out);
  CHECK(j["outbox"]["deferred"]["count"] == 1);
  CHECK(j["outbox"]["deferred"]["last_error"].get<std::string>().find("535") != std::string::npos);
  auto text = test::run_guichet("status --config '" + dir.str("guichet.yaml") + "'");
  CHECK(text.out.find("SENDING DEFERRED: 1 mail(s) waiting since") != std::string::npos);

  // The admin mends the password: the mail goes at its next attempt.
  auto right = engine::make_sender(settings_for(server, dir, "s3cret"));
  REQUIRE(right);
  auto stats = engine::drain(st, **right, clock, options);
  REQUIRE(stats);
  CHECK(stats->sent == 1);
  CHECK(server.received().size() == 1);
  auto after = test::run_guichet("status --json --config '" + dir.str("guichet.yaml") + "'");
  CHECK(after.status == 0);
  CHECK(nlohmann::json::parse(after.out)["outbox"]["deferred"].is_null());
}

TEST_CASE("smtp test over STARTTLS with a login, and with a server that takes none", "[smtp][tls][probe]") {
  test::SmtpServer server(options("starttls", "agent:s3cret"));
  server.start();
  test::SmtpServer no_auth(options("starttls"));
  no_auth.start();
  test::TempDir dir;
  test::write_file(dir.path() / "smtp-password", "s3cret\n");
  auto probe = [&](const test::SmtpServer& s) {
    test::write_file(dir.path() / "guichet.yaml", "database: g.db\nsmtp:\n  url: " + s.url() +
                                                      "\n  user: agent\n  password_file: smtp-password\n"
                                                      "  tls_ca_file: " +
                                                      s.ca_file() + "\n");
    return test::run_guichet("smtp test --json --config '" + dir.str("guichet.yaml") + "'");
  };
  auto good = probe(server);
  INFO(good.out << good.err);
  CHECK(good.status == 0);
  CHECK(good.out.find("STARTTLS, the certificate verified") != std::string::npos);
  auto none = probe(no_auth);
  INFO(none.out);
  CHECK(none.status == 78);
  CHECK(none.out.find("offers no AUTH") != std::string::npos);
  CHECK(server.received().empty());
  CHECK(no_auth.received().empty());
}
