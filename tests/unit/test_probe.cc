// guichet mailbox test and guichet smtp test against a real Dovecot and a real SMTP server: each
// step reported, the failing one named with the server's words, and nothing fetched, flagged,
// moved or sent.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "helpers.h"
#include "servers.h"
#include "transport/imap.h"
#include "transport/probe.h"

using namespace guichet;
using nlohmann::json;

namespace {

std::string resident_mail(int n) {
  return "From: Résident <resident" + std::to_string(n) +
         "@example.org>\r\nTo: voirie@champignac.example\r\nSubject: Trou " + std::to_string(n) +
         "\r\nDate: Tue, 17 Nov 2026 09:30:00 +0100\r\nMessage-ID: <probe-" + std::to_string(n) +
         "@example.org>\r\n\r\nBonjour.\r\n";
}

struct Setup {
  test::TempDir dir;
  void write(const std::string& mailboxes, const std::string& smtp) {
    test::write_file(dir.path() / "imap-password", "secret\n");
    test::write_file(dir.path() / "wrong-password", "not-the-password\n");
    test::write_file(dir.path() / "guichet.yaml", "database: g.db\nmailboxes:\n" + mailboxes + smtp);
  }
  test::RunResult run(const std::string& command) {
    return test::run_guichet(command + " --json --config '" + dir.str("guichet.yaml") + "'");
  }
};

// The step named `step` of a --json answer.
json step_of(const json& steps, const std::string& step) {
  for (const auto& s : steps)
    if (s["step"] == step) return s;
  return json();
}

std::string imap_mailbox(const std::string& name, const std::string& url, const std::string& password_file,
                         const std::string& start) {
  return "  - name: " + name + "\n    url: " + url +
         "\n    tls: none\n    user: guichet\n    password_file: " + password_file + "\n    start: '" + start + "'\n";
}

}  // namespace

TEST_CASE("mailbox test: every step of a good mailbox, what the first run takes, nothing touched", "[probe][dovecot]") {
  test::Dovecot dovecot;
  dovecot.start();
  dovecot.deliver(resident_mail(1));
  dovecot.deliver(resident_mail(2));
  REQUIRE(dovecot.doveadm("mailbox create -u guichet Reclamations") == 0);
  Setup s;
  s.write(imap_mailbox("voirie", dovecot.url(), "imap-password", "all") +
              imap_mailbox("recent", dovecot.url(), "imap-password", "since:2000-01-01") +
              imap_mailbox("fresh", dovecot.url(), "imap-password", "now"),
          "");
  auto r = s.run("mailbox test voirie");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const json steps = json::parse(r.out);
  std::vector<std::string> names;
  for (const auto& st : steps) {
    names.push_back(st["step"]);
    CHECK(st["ok"] == true);
  }
  CHECK(names == std::vector<std::string>{"resolve", "connect", "TLS", "login", "folders", "folder", "first run"});
  CHECK(step_of(steps, "resolve")["detail"].get<std::string>().find("127.0.0.1") != std::string::npos);
  CHECK(step_of(steps, "TLS")["detail"].get<std::string>().find("plain text") != std::string::npos);
  CHECK(step_of(steps, "login")["detail"].get<std::string>().find("idle") != std::string::npos);
  CHECK(step_of(steps, "folders")["detail"].get<std::string>().find("INBOX") != std::string::npos);
  CHECK(step_of(steps, "folders")["detail"].get<std::string>().find("Reclamations") != std::string::npos);
  CHECK(step_of(steps, "folder")["detail"].get<std::string>().find("2 message(s)") != std::string::npos);
  CHECK(step_of(steps, "first run")["detail"].get<std::string>().find("the 2 message(s)") != std::string::npos);

  auto since = s.run("mailbox test recent");
  REQUIRE(since.status == 0);
  CHECK(step_of(json::parse(since.out), "first run")["detail"].get<std::string>().find("2 of the 2") !=
        std::string::npos);
  auto now = s.run("mailbox test fresh");
  REQUIRE(now.status == 0);
  CHECK(step_of(json::parse(now.out), "first run")["detail"].get<std::string>().find("none of the 2") !=
        std::string::npos);

  // Read-only: both mails still unseen, no $Guichet, no database written.
  transport::ImapSettings is;
  is.url = dovecot.url();
  is.credentials.user = "guichet";
  is.credentials.password = "secret";
  is.tls_required = false;
  transport::ImapMailbox box(is);
  auto uids = box.uids_after(0);
  REQUIRE(uids.ok());
  REQUIRE(uids->size() == 2);
  auto flags = box.flags(*uids);
  REQUIRE(flags.ok());
  for (const auto& [uid, f] : *flags) {
    CHECK_FALSE(f.count("\\Seen"));
    CHECK_FALSE(f.count("$Guichet"));
  }
  CHECK_FALSE(std::filesystem::exists(s.dir.path() / "g.db"));

  // Once the mailbox has run, `start:` no longer applies: the next run takes what came after.
  auto serve = test::run_guichet("serve --once --config '" + s.dir.str("guichet.yaml") + "'");
  REQUIRE(serve.status == 0);
  auto again = s.run("mailbox test voirie");
  REQUIRE(again.status == 0);
  const json next = json::parse(again.out).back();
  CHECK(next["step"] == "next run");
  CHECK(next["detail"].get<std::string>().find("last UID 2 taken") != std::string::npos);
}

TEST_CASE("mailbox test names the step that fails, with the server's words", "[probe][dovecot]") {
  test::Dovecot dovecot;
  dovecot.start();
  Setup s;
  const int dead = test::free_port();
  s.write(imap_mailbox("wrong", dovecot.url(), "wrong-password", "now") +
              imap_mailbox("absent", dovecot.url("Nulle-part"), "imap-password", "now") +
              imap_mailbox("dead", "imap://127.0.0.1:" + std::to_string(dead) + "/INBOX", "imap-password", "now") +
              "  - name: tls\n    url: " + dovecot.url() + "\n    user: guichet\n    password_file: imap-password\n" +
              "  - name: files\n    url: maildir://" + s.dir.str("nowhere") + "\n",
          "");
  SECTION("a wrong password: the login, in the server's words, a configuration error") {
    auto r = s.run("mailbox test wrong");
    CHECK(r.status == 78);
    const auto login = step_of(json::parse(r.out), "login");
    CHECK(login["ok"] == false);
    CHECK(login["detail"].get<std::string>().find("AUTHENTICATIONFAILED") != std::string::npos);
  }
  SECTION("a folder that does not exist: the folder, the folders listed before it") {
    auto r = s.run("mailbox test absent");
    CHECK(r.status == 78);
    const json steps = json::parse(r.out);
    CHECK(step_of(steps, "folders")["ok"] == true);
    CHECK(step_of(steps, "folder")["ok"] == false);
    CHECK(step_of(steps, "folder")["detail"].get<std::string>().find("Nulle-part") != std::string::npos);
  }
  SECTION("nothing listening: the connection, a temporary failure") {
    auto r = s.run("mailbox test dead");
    CHECK(r.status == 75);
    const json steps = json::parse(r.out);
    CHECK(step_of(steps, "resolve")["ok"] == true);
    CHECK(step_of(steps, "connect")["ok"] == false);
    CHECK(step_of(steps, "login").is_null());
  }
  SECTION("a server without STARTTLS when TLS is required: TLS, and the password never sent") {
    auto r = s.run("mailbox test tls");
    CHECK(r.status == 78);
    CHECK(step_of(json::parse(r.out), "TLS")["ok"] == false);
    CHECK(dovecot.log().find("secret") == std::string::npos);
  }
  SECTION("a Maildir that is not there") {
    auto r = s.run("mailbox test files");
    CHECK(r.status == 78);
    CHECK(step_of(json::parse(r.out), "folder")["detail"].get<std::string>().find("not a folder") != std::string::npos);
  }
  SECTION("a mailbox the configuration does not have: its names") {
    auto r = test::run_guichet("mailbox test nope --config '" + s.dir.str("guichet.yaml") + "'");
    CHECK(r.status == 64);
    CHECK(r.err.find("it has wrong, absent, dead, tls, files") != std::string::npos);
  }
}

TEST_CASE("smtp test logs in and quits without sending, or names what refuses", "[probe][smtp]") {
  test::SmtpServer smtp;
  smtp.start();
  Setup s;
  s.write("", "smtp:\n  url: " + smtp.url() + "\n  tls: none\n");
  auto r = s.run("smtp test");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const json steps = json::parse(r.out);
  CHECK(step_of(steps, "connect")["detail"].get<std::string>().find("220") != std::string::npos);
  CHECK(step_of(steps, "login")["ok"] == true);
  CHECK(smtp.received().empty());

  // TLS required and a server without STARTTLS: refused before any AUTH.
  s.write("", "smtp:\n  url: " + smtp.url() + "\n");
  auto tls = s.run("smtp test");
  CHECK(tls.status == 78);
  CHECK(step_of(json::parse(tls.out), "TLS")["ok"] == false);

  smtp.stop();
  s.write("", "smtp:\n  url: " + smtp.url() + "\n  tls: none\n");
  auto down = s.run("smtp test");
  CHECK(down.status == 75);
  CHECK(step_of(json::parse(down.out), "connect")["ok"] == false);
  CHECK(smtp.received().empty());
}

TEST_CASE("the host and port a probe resolves are those libcurl connects to", "[probe]") {
  using transport::host_and_port;
  using HostPort = std::pair<std::string, std::string>;
  CHECK(host_and_port("imap://imap.champignac.example/INBOX") == HostPort{"imap.champignac.example", "143"});
  CHECK(host_and_port("imaps://imap.champignac.example") == HostPort{"imap.champignac.example", "993"});
  CHECK(host_and_port("smtp://smtp.champignac.example") == HostPort{"smtp.champignac.example", "25"});
  CHECK(host_and_port("smtps://smtp.champignac.example/") == HostPort{"smtp.champignac.example", "465"});
  CHECK(host_and_port("smtp://guichet@smtp.champignac.example:587") == HostPort{"smtp.champignac.example", "587"});
  CHECK(host_and_port("imaps://[::1]:10993/INBOX") == HostPort{"::1", "10993"});
}
