#include <catch2/catch.hpp>

#include "config/config.h"
#include "engine/connections.h"
#include "helpers.h"

using namespace guichet;

TEST_CASE("no file at the default path: built-in defaults", "[config]") {
  if (std::filesystem::exists(config::kDefaultPath)) return;  // a real installation: nothing to prove here
  auto c = config::load(config::kDefaultPath);
  REQUIRE(c);
  CHECK(c->database == "/var/lib/guichet/guichet.db");
  CHECK(c->reference_prefix == "Réf.");
  CHECK(c->timezone == "Europe/Paris");
  CHECK(c->mailboxes.empty());
}

TEST_CASE("a named file that does not exist is a configuration error", "[config]") {
  auto c = config::load("/nonexistent/guichet.yaml");
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::config);
}

TEST_CASE("a full configuration, relative paths are relative to the file", "[config]") {
  test::TempDir dir;
  test::write_file(dir.path() / "etc/guichet.yaml", R"(commune: Champignac-en-Cambrousse
database: var/guichet.db
reference_prefix: "Réf."
directory: directory.yaml
rules: rules/
templates: templates/
mailboxes:
  - name: urbanisme
    url: imaps://imap.example.org/INBOX
    user: urbanisme@champignac.example
    password_file: secrets/urbanisme
    department: urbanisme
    after: move:Traité
    poll_seconds: 60
  - name: demo
    url: maildir://demo/inbox
smtp:
  url: smtp://smtp.example.org:587
  password_env: GUICHET_SMTP_PASSWORD
)");
  auto c = config::load(dir.str("etc/guichet.yaml"));
  REQUIRE(c);
  CHECK(c->commune == "Champignac-en-Cambrousse");
  CHECK(c->database == dir.str("etc/var/guichet.db"));
  CHECK(c->directory == dir.str("etc/directory.yaml"));
  REQUIRE(c->mailboxes.size() == 2);
  const auto* u = c->mailbox("urbanisme");
  REQUIRE(u);
  CHECK(u->password.file == dir.str("etc/secrets/urbanisme"));
  CHECK(u->after == "move:Traité");
  CHECK(u->poll_seconds == 60);
  CHECK(u->department == std::optional<std::string>("urbanisme"));
  CHECK(c->mailbox("demo")->url == "maildir://" + dir.str("etc/demo/inbox"));
  CHECK(c->mailbox("demo")->tls == "required");
  REQUIRE(c->smtp);
  CHECK(c->smtp->password.env == "GUICHET_SMTP_PASSWORD");
}

TEST_CASE("every error is reported at once with file:line:column", "[config]") {
  auto c = config::parse(R"(commune: X
departement: voirie
mailboxes:
  - name: a
    url: pop3://x
    poll_seconds: soon
    tls: maybe
  - name: a
    url: imap://y
    password_file: f
    password_env: V
commune: Y
)",
                         "guichet.yaml", "/etc/guichet");
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::config);
  const std::string& e = c.error().message;
  CHECK(e.find("guichet.yaml:2:1: unknown key \"departement\"") != std::string::npos);
  CHECK(e.find("guichet.yaml:5:10: url must start with imap://, imaps:// or maildir://") != std::string::npos);
  CHECK(e.find("guichet.yaml:6:19: \"poll_seconds\" must be a whole number") != std::string::npos);
  CHECK(e.find("guichet.yaml:7:10: tls must be \"required\" or \"none\"") != std::string::npos);
  CHECK(e.find("guichet.yaml:8:11: mailbox name \"a\" is used twice") != std::string::npos);
  CHECK(e.find("give one of password_file, password_env, password_credential, oauth2_token_file") != std::string::npos);
  CHECK(e.find("guichet.yaml:12:1: duplicate key \"commune\"") != std::string::npos);
}

TEST_CASE("YAML syntax errors say where", "[config]") {
  auto c = config::parse("commune: [unclosed\n", "bad.yaml", "");
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::config);
  CHECK(c.error().message.rfind("bad.yaml:", 0) == 0);
  auto tz = config::parse("timezone: Mars/Olympus\n", "tz.yaml", "");
  REQUIRE_FALSE(tz);
  CHECK(tz.error().message.find("tz.yaml:1:11: unknown time zone") != std::string::npos);
}

TEST_CASE("the shipped example configurations load", "[config]") {
  for (const char* rel : {"etc/guichet.yaml", "etc/demo/guichet.yaml"}) {
    INFO(rel);
    auto c = config::load(std::string(GUICHET_SOURCE_DIR) + "/" + rel);
    REQUIRE(c);
    CHECK_FALSE(c->mailboxes.empty());
  }
}

TEST_CASE("SMTP and mailboxes read their secrets the same way, a systemd credential included", "[config]") {
  test::TempDir dir;
  test::write_file(dir.path() / "credentials" / "smtp", "s3cret\n");
  test::write_file(dir.path() / "credentials" / "voirie", "imap-pass\n");
  auto c = config::parse(
      "mailboxes:\n  - {name: voirie, url: 'imaps://imap.example.org/INBOX', user: v, password_credential: voirie}\n"
      "smtp:\n  url: smtp://smtp.example.org:587\n  user: guichet\n  password_credential: smtp\n",
      "g.yaml", dir.str());
  REQUIRE(c);
  CHECK(c->smtp->password.credential == "smtp");
  setenv("CREDENTIALS_DIRECTORY", dir.str("credentials").c_str(), 1);
  auto smtp = engine::credentials(c->smtp->user, c->smtp->password, c->smtp->oauth2_token);
  auto imap = engine::credentials(c->mailboxes[0].user, c->mailboxes[0].password, c->mailboxes[0].oauth2_token);
  unsetenv("CREDENTIALS_DIRECTORY");
  REQUIRE(smtp);
  REQUIRE(imap);
  CHECK(smtp->password == "s3cret");
  CHECK(smtp->user == "guichet");
  CHECK(imap->password == "imap-pass");
  // Without the directory systemd gives the service, the error says what to do.
  auto missing = engine::credentials("guichet", c->smtp->password, {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("CREDENTIALS_DIRECTORY is not set") != std::string::npos);
  CHECK(missing.error().code == Errc::config);
}
