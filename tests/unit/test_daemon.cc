// guichet serve against a real Dovecot on loopback: never lose a message, never take one twice,
// leave the server as humans left it, survive crashes, restarts, signals and broken changes.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <thread>

#include "helpers.h"
#include "servers.h"
#include "transport/imap.h"

using namespace guichet;
using nlohmann::json;

namespace {

std::string resident_mail(int n, const std::string& subject = "", size_t padding = 0) {
  return "From: Résident " + std::to_string(n) + " <resident" + std::to_string(n) +
         "@example.org>\r\nTo: voirie@champignac.example\r\nSubject: " +
         (subject.empty() ? "Nid-de-poule numéro " + std::to_string(n) : subject) +
         "\r\nDate: Tue, 17 Nov 2026 09:30:00 +0100\r\nMessage-ID: <daemon-" + std::to_string(n) +
         "@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, un trou rue " + std::to_string(n) +
         ".\r\n" + std::string(padding, 'x') + "\r\n";
}

struct Town {
  test::TempDir dir;
  test::Dovecot dovecot;
  test::SmtpServer smtp;
  test::Process daemon;

  explicit Town(const std::string& after = "flag", const std::string& extra_mailboxes = "", bool move = true)
      : dovecot(move) {
    dovecot.start();
    smtp.start();
    test::write_file(dir.path() / "imap-password", "secret\n");
    write_config(after, extra_mailboxes);
  }

  void write_config(const std::string& after, const std::string& extra_mailboxes = "",
                    const std::string& rules = std::string(GUICHET_SOURCE_DIR) + "/rules") {
    test::write_file(
        dir.path() / "guichet.yaml",
        "commune: Champignac-en-Cambrousse\ndatabase: g.db\ndirectory: " + std::string(GUICHET_SOURCE_DIR) +
            "/etc/directory.yaml\nrules: " + rules +
            "\nadmin: it@champignac.example\nalert_after_minutes: 0\n"
            "mailboxes:\n  - name: voirie\n    url: " +
            dovecot.url() +
            "\n    tls: none\n    user: guichet\n    password_file: imap-password\n    address: "
            "voirie@champignac.example\n    department: voirie\n    poll_seconds: 1\n    start: all\n    after: " +
            after + "\n" + extra_mailboxes + "smtp:\n  url: " + smtp.url() + "\n  tls: none\ndeadlines:\n  digest_at: 'off'\n");
  }

  std::string args() const { return "--config '" + dir.str("guichet.yaml") + "'"; }

  test::RunResult once(const std::string& env = "") { return test::run_guichet("serve --once " + args(), "", env); }

  void start_daemon() {
    daemon.start({GUICHET_BIN, "serve", "--config", dir.str("guichet.yaml")}, dir.str("daemon.log"));
  }
  std::string log() const { return test::read_file(dir.str("daemon.log")); }

  json requests() {
    auto r = test::run_guichet("list --json " + args());
    if (r.status != 0) return json::array();  // no database yet: the daemon is starting
    return json::parse(r.out);
  }
  int messages() {
    int n = 0;
    for (const auto& req : requests()) n += static_cast<int>(req["messages"].size());
    return n;
  }
  // Waits until `pred` holds (up to `seconds`).
  template <class Pred>
  bool wait_for(Pred pred, double seconds = 30) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return pred();
  }

  transport::ImapMailbox client(const std::string& folder = "INBOX") {
    transport::ImapSettings s;
    s.url = dovecot.url(folder);
    s.credentials.user = "guichet";
    s.credentials.password = "secret";
    s.tls_required = false;
    return transport::ImapMailbox(s);
  }
};

}  // namespace

TEST_CASE("serve: new mail is ingested once, a second cycle takes nothing again", "[daemon][dovecot]") {
  Town town;
  for (int i = 1; i <= 3; ++i) town.dovecot.deliver(resident_mail(i));
  auto r = town.once();
  INFO(r.err);
  REQUIRE(r.status == 0);
  json reqs = town.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0]["department"] == "voirie");
  town.dovecot.deliver(resident_mail(4));
  REQUIRE(town.once().status == 0);
  CHECK(town.requests().size() == 4);
  CHECK(town.messages() == 4);
  // The acknowledgements went out in the same cycle.
  CHECK(town.smtp.received().size() >= 4);
  auto status = test::run_guichet("status --json " + town.args());
  CHECK(status.status == 0);
  json st = json::parse(status.out);
  CHECK(st["mailboxes"][0]["last_uid"] == 4);
  CHECK(st["mailboxes"][0]["waiting"] == 0);
  CHECK_FALSE(st["mailboxes"][0]["last_success_at"].is_null());
  CHECK(st["outbox"]["queued"] == 0);
}

TEST_CASE("serve: a message a human already opened is ingested, and flags stay as humans left them",
          "[daemon][dovecot]") {
  Town town;
  town.dovecot.deliver(resident_mail(1));
  town.dovecot.deliver(resident_mail(2));
  REQUIRE(town.dovecot.doveadm("flags add -u guichet '\\Seen' mailbox INBOX uid 2") == 0);
  REQUIRE(town.once().status == 0);
  CHECK(town.requests().size() == 2);
  auto box = town.client();
  auto flags = box.flags({1, 2});
  REQUIRE(flags);
  CHECK_FALSE((*flags)[1].count("\\Seen"));  // unread stays unread
  CHECK((*flags)[2].count("\\Seen"));        // read stays read
  CHECK((*flags)[1].count("$Guichet"));
  CHECK((*flags)[2].count("$Guichet"));
}

TEST_CASE("serve: killed between commit and flag, restarted: no duplicate, no loss", "[daemon][dovecot]") {
  Town town;
  for (int i = 1; i <= 5; ++i) town.dovecot.deliver(resident_mail(i));
  auto killed = town.once("GUICHET_FAILPOINTS=poll.after_commit");
  CHECK(killed.status == 128 + SIGKILL);  // as the shell reports it
  CHECK(town.requests().size() == 5);
  {
    auto box = town.client();
    auto flags = box.flags({1, 2, 3, 4, 5});
    REQUIRE(flags);
    CHECK_FALSE((*flags)[1].count("$Guichet"));  // the server was never told
  }
  auto again = town.once();
  INFO(again.err);
  REQUIRE(again.status == 0);
  CHECK(town.requests().size() == 5);
  INFO(town.requests().dump());
  CHECK(town.messages() == 5);
  auto box = town.client();
  auto flags = box.flags({1, 2, 3, 4, 5});
  REQUIRE(flags);
  for (std::uint32_t uid = 1; uid <= 5; ++uid) {
    CHECK((*flags)[uid].count("$Guichet"));
    CHECK_FALSE((*flags)[uid].count("\\Seen"));  // and what our fetch set was put back
  }
}

TEST_CASE("serve: a folder deleted and recreated (new UIDVALIDITY) brings no duplicate", "[daemon][dovecot]") {
  Town town;
  REQUIRE(town.dovecot.doveadm("mailbox create -u guichet Urbanisme") == 0);
  town.write_config("flag",
                    "  - name: urbanisme\n    url: " + town.dovecot.url("Urbanisme") +
                        "\n    tls: none\n    user: guichet\n    password_file: imap-password\n    start: all\n");
  town.dovecot.deliver(resident_mail(1, "Véranda"), "Urbanisme");
  town.dovecot.deliver(resident_mail(2, "Abri de jardin"), "Urbanisme");
  REQUIRE(town.once().status == 0);
  REQUIRE(town.requests().size() == 2);
  REQUIRE(town.dovecot.doveadm("mailbox delete -u guichet Urbanisme") == 0);
  REQUIRE(town.dovecot.doveadm("mailbox create -u guichet Urbanisme") == 0);
  town.dovecot.deliver(resident_mail(1, "Véranda"), "Urbanisme");  // restored from a backup
  town.dovecot.deliver(resident_mail(2, "Abri de jardin"), "Urbanisme");
  town.dovecot.deliver(resident_mail(3, "Piscine"), "Urbanisme");
  auto r = town.once("");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("UIDVALIDITY changed") != std::string::npos);
  CHECK(town.requests().size() == 3);
  CHECK(town.messages() == 3);
}

TEST_CASE("serve: two mailboxes receiving the same mail make one request", "[daemon][dovecot]") {
  Town town;
  REQUIRE(town.dovecot.doveadm("mailbox create -u guichet Mairie") == 0);
  town.write_config("flag", "  - name: mairie\n    url: " + town.dovecot.url("Mairie") +
                                "\n    tls: none\n    user: guichet\n    password_file: imap-password\n    start: all\n"
                                "    address: mairie@champignac.example\n");
  town.dovecot.deliver(resident_mail(1));
  town.dovecot.deliver(resident_mail(1), "Mairie");
  REQUIRE(town.once().status == 0);
  json reqs = town.requests();
  REQUIRE(reqs.size() == 1);
  auto show = test::run_guichet("show --json " + town.args() + " " + reqs[0]["reference"].get<std::string>());
  json j = json::parse(show.out);
  CHECK(j["messages"][0]["sources"].size() == 2);
  CHECK(town.smtp.received().size() == 2);  // one acknowledgement, one notice: not two of each
}

TEST_CASE("serve: after: move:Folder, with and without the MOVE capability", "[daemon][dovecot]") {
  for (bool with_move : {true, false}) {
    INFO("MOVE: " << with_move);
    Town town("move:Traité", "", with_move);
    REQUIRE(town.dovecot.doveadm("mailbox create -u guichet Traité") == 0);
    town.dovecot.deliver(resident_mail(1));
    town.dovecot.deliver(resident_mail(2));
    auto r = town.once();
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(town.requests().size() == 2);
    auto inbox = town.client();
    CHECK(inbox.status()->messages == 0);
    auto done = town.client("Trait%C3%A9");
    auto st = done.status();
    REQUIRE(st);
    CHECK(st->messages == 2);
  }
}

TEST_CASE("serve: a 25 MB message is ingested whole", "[daemon][dovecot]") {
  Town town;
  std::string big = resident_mail(1, "Plans du projet", 25 * 1024 * 1024);
  town.dovecot.deliver(big);
  auto r = town.once();
  INFO(r.err);
  REQUIRE(r.status == 0);
  json reqs = town.requests();
  REQUIRE(reqs.size() == 1);
  auto raw = test::run_guichet("show " + town.args() + " --raw 1 " + reqs[0]["reference"].get<std::string>());
  CHECK(raw.out.size() == big.size());
}

TEST_CASE("serve: Dovecot stopped then started, the daemon recovers by itself and the admin hears of it",
          "[daemon][dovecot]") {
  Town town;
  town.dovecot.deliver(resident_mail(1));
  town.start_daemon();
  REQUIRE(town.wait_for([&] { return town.requests().size() == 1; }));
  town.dovecot.stop();
  if (!town.wait_for([&] { return town.log().find("error mailbox voirie:") != std::string::npos; }, 20))
    FAIL(town.log());
  auto status = test::run_guichet("status --json " + town.args());
  CHECK(status.status == 75);
  CHECK_FALSE(json::parse(status.out)["mailboxes"][0]["failing_since"].is_null());
  town.dovecot.start();
  town.dovecot.deliver(resident_mail(2));
  CHECK(town.wait_for([&] { return town.requests().size() == 2; }, 60));
  // Said once the poll that fetched it is over: the request may be committed a moment before.
  CHECK(town.wait_for([&] { return town.log().find("mailbox voirie: working again") != std::string::npos; }, 20));
  // One alert when it failed (alert_after_minutes: 0 here), one when it came back.
  CHECK(town.wait_for(
      [&] {
        int alerts = 0;
        for (const auto& m : town.smtp.received()) alerts += m.find("To: <it@champignac.example>") != std::string::npos;
        return alerts == 2;
      },
      20));
  kill(town.daemon.pid(), SIGTERM);
}

TEST_CASE("serve: with IDLE, new mail is acknowledged within seconds although the poll interval is 30 s",
          "[daemon][dovecot][idle]") {
  Town town;
  std::string conf = test::read_file(town.dir.str("guichet.yaml"));
  conf.replace(conf.find("poll_seconds: 1"), 15, "poll_seconds: 30");
  test::write_file(town.dir.path() / "guichet.yaml", conf);
  town.dovecot.deliver(resident_mail(1));
  // Whether resident n has had their acknowledgement.
  auto acknowledged = [&](int n) {
    const std::string to = "resident" + std::to_string(n) + "@example.org>";
    for (const auto& m : town.smtp.received()) {
      const size_t line = m.find("\nTo: ");
      if (line != std::string::npos && m.find(to, line) < m.find('\n', line + 1)) return true;
    }
    return false;
  };
  town.start_daemon();
  const bool first = town.wait_for([&] { return acknowledged(1); });
  INFO(town.log());
  REQUIRE(first);
  // The first poll is over; the next one is 30 s away. Only IDLE can bring the next mail sooner.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 2; i <= 4; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    town.dovecot.deliver(resident_mail(i));
    const bool done = town.wait_for([&] { return acknowledged(i); }, 20);
    const auto took = std::chrono::steady_clock::now() - t0;
    INFO(town.log());
    REQUIRE(done);
    CHECK(took < std::chrono::seconds(5));
  }
  CHECK(town.requests().size() == 4);
  kill(town.daemon.pid(), SIGTERM);
  int status = 0;
  waitpid(town.daemon.pid(), &status, 0);
  CHECK(WEXITSTATUS(status) == 0);  // the IDLE connection let go at once
}

TEST_CASE("serve: SIGTERM during a run finishes the message in hand and exits 0 within 10 s", "[daemon][dovecot]") {
  Town town;
  for (int i = 1; i <= 150; ++i) town.dovecot.deliver(resident_mail(i));
  town.start_daemon();
  const bool started = town.wait_for([&] { return town.log().find("UID 3 ") != std::string::npos; }, 30);
  if (!started) FAIL(town.log());
  const auto t0 = std::chrono::steady_clock::now();
  kill(town.daemon.pid(), SIGTERM);
  int status = 0;
  pid_t pid = town.daemon.pid();
  bool exited = false;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(exited);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(town.log().find("stopped") != std::string::npos);
  // What it committed is flagged; the rest waits, and the next run takes exactly the rest.
  auto again = town.once();
  REQUIRE(again.status == 0);
  CHECK(town.requests().size() == 150);
  CHECK(town.messages() == 150);
}

TEST_CASE("serve: SIGHUP with a broken rules file keeps the last good rules", "[daemon][dovecot][reload]") {
  Town town;
  test::TempDir rules;
  test::write_file(rules.path() / "10-voirie.yaml",
                   "- name: Voirie\n  when: { subject: trou }\n  then: { department: voirie }\n"
                   "- name: Défaut\n  when: always\n  then: { department: accueil }\n");
  town.write_config("flag", "", rules.str());
  town.dovecot.deliver(resident_mail(1, "Un trou"));
  town.start_daemon();
  REQUIRE(town.wait_for([&] { return town.requests().size() == 1; }));
  test::write_file(rules.path() / "10-voirie.yaml",
                   "- name: Voirie\n  when: { subject: trou }\n  then: { department: voirei }\n");
  kill(town.daemon.pid(), SIGHUP);
  REQUIRE(town.wait_for([&] { return town.log().find("configuration change refused") != std::string::npos; }, 10));
  CHECK(town.log().find("10-voirie.yaml:3:") != std::string::npos);
  town.dovecot.deliver(resident_mail(2, "Encore un trou"));
  if (!town.wait_for([&] { return town.requests().size() == 2; })) FAIL(town.log());
  CHECK(town.requests()[1]["department"] == "voirie");  // the old rules still route
  // A good change is taken up without a signal (the file changed).
  test::write_file(rules.path() / "10-voirie.yaml", "- name: Tout\n  when: always\n  then: { department: proprete }\n");
  REQUIRE(town.wait_for([&] { return town.log().find("configuration reloaded") != std::string::npos; }, 10));
  town.dovecot.deliver(resident_mail(3, "Papiers"));
  REQUIRE(town.wait_for([&] { return town.requests().size() == 3; }));
  CHECK(town.requests()[2]["department"] == "proprete");
  kill(town.daemon.pid(), SIGTERM);
}

TEST_CASE("serve --once on a Maildir: new/ moves to cur/ after the commit, acknowledgements are files",
          "[daemon][maildir]") {
  test::TempDir dir;
  const std::string src = GUICHET_SOURCE_DIR;
  std::filesystem::copy(src + "/etc/demo/inbox", dir.path() / "inbox", std::filesystem::copy_options::recursive);
  test::write_file(
      dir.path() / "guichet.yaml",
      "commune: Champignac-en-Cambrousse\ndatabase: g.db\ndirectory: " + src + "/etc/directory.yaml\nrules: " + src +
          "/rules\nmailboxes:\n  - {name: mairie, url: 'maildir://inbox', address: mairie@champignac.example, "
          "department: accueil}\nsmtp:\n  url: maildir://outbox\ndeadlines:\n  digest_at: 'off'\n");
  const std::string args = "--config '" + dir.str("guichet.yaml") + "'";
  auto r = test::run_guichet("serve --once " + args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto count = [](const std::filesystem::path& p) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) return 0L;
    long n = 0;
    for (const auto& e : std::filesystem::directory_iterator(p)) n += e.path().filename().string()[0] != '.';
    return n;
  };
  CHECK(count(dir.path() / "inbox/new") == 0);
  CHECK(count(dir.path() / "inbox/cur") == 11);
  json reqs = json::parse(test::run_guichet("list --json " + args).out);
  CHECK(reqs.size() == 6);
  // The out-of-office threads nowhere: kept apart, never answered.
  json machine = json::parse(test::run_guichet("list --json --machine " + args).out);
  REQUIRE(machine.size() == 1);
  CHECK(machine[0]["reference"] == "M2026-000001");
  // Six residents: six acknowledgements, and a notice per agent.
  int acks = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "outbox/new"))
    acks += test::read_file(e.path().string()).find("Auto-Submitted: auto-replied") != std::string::npos;
  CHECK(acks == 6);
  CHECK(r.err.find("UID") == std::string::npos);
  CHECK(r.err.find("mailbox mairie 1794200000.M1P100.champignac Message-ID") != std::string::npos);
  // Nothing left: a second cycle takes nothing and sends nothing.
  auto again = test::run_guichet("serve --once " + args);
  REQUIRE(again.status == 0);
  CHECK(json::parse(test::run_guichet("list --json " + args).out).size() == 6);
  CHECK(count(dir.path() / "outbox/new") == 12);
}

TEST_CASE("serve tells systemd it is ready, how it is, and that it stops", "[daemon][systemd]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "inbox/new");
  test::write_file(dir.path() / "inbox/new/1.eml", resident_mail(1));
  test::write_file(
      dir.path() / "guichet.yaml",
      "database: g.db\nmailboxes:\n  - {name: mairie, url: 'maildir://inbox'}\nsmtp:\n  url: maildir://outbox\n");
  const std::string path = dir.str("notify.sock");
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  REQUIRE(s >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  auto r = test::run_guichet("serve --once --config '" + dir.str("guichet.yaml") + "'", "", "NOTIFY_SOCKET=" + path);
  REQUIRE(r.status == 0);
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = recv(s, buf, sizeof buf, MSG_DONTWAIT)) > 0;)
    all.append(buf, static_cast<size_t>(n)).push_back('|');
  close(s);
  CHECK(all.find("READY=1") != std::string::npos);
  CHECK(all.find("STATUS=1 mailboxes, 0 failing, 0 queued") != std::string::npos);
  CHECK(all.find("WATCHDOG=1") != std::string::npos);
  CHECK(all.find("STOPPING=1") != std::string::npos);
}

TEST_CASE("serve: the first run takes what `start` says, then only what arrives", "[daemon][dovecot]") {
  for (const std::string start : {"now", "since:2000-01-01", "since:2999-01-01"}) {
    INFO("start: " << start);
    Town town;
    std::string conf = test::read_file(town.dir.str("guichet.yaml"));
    conf.replace(conf.find("start: all"), 10, "start: " + start);
    test::write_file(town.dir.path() / "guichet.yaml", conf);
    town.dovecot.deliver(resident_mail(1));
    town.dovecot.deliver(resident_mail(2));
    REQUIRE(town.once().status == 0);
    const size_t first = start == "since:2000-01-01" ? 2 : 0;
    CHECK(town.requests().size() == first);
    town.dovecot.deliver(resident_mail(3));
    REQUIRE(town.once().status == 0);
    CHECK(town.requests().size() == first + 1);
  }
}

TEST_CASE("serve: one broken mailbox never stalls the others", "[daemon][dovecot]") {
  Town town;
  const int dead = test::free_port();  // nothing listens there
  town.write_config("flag", "  - name: panne\n    url: imap://127.0.0.1:" + std::to_string(dead) +
                                "/INBOX\n    tls: none\n    user: guichet\n    password_file: imap-password\n");
  town.dovecot.deliver(resident_mail(1));
  auto r = town.once();
  CHECK(r.status == 75);  // a mailbox failed
  CHECK(r.err.find("mailbox panne:") != std::string::npos);
  CHECK(town.requests().size() == 1);  // the other one was read all the same
  auto status = test::run_guichet("status --json " + town.args());
  CHECK(status.status == 75);
  json st = json::parse(status.out);
  CHECK(st["mailboxes"][0]["failing_since"].is_null());
  CHECK_FALSE(st["mailboxes"][1]["failing_since"].is_null());
  CHECK(st["mailboxes"][1]["last_error"].get<std::string>().find("onnect") != std::string::npos);
}

TEST_CASE("serve: the IMAP password comes from a systemd credential", "[daemon][dovecot]") {
  Town town;
  std::string conf = test::read_file(town.dir.str("guichet.yaml"));
  conf.replace(conf.find("password_file: imap-password"), 28, "password_credential: voirie");
  test::write_file(town.dir.path() / "guichet.yaml", conf);
  test::write_file(town.dir.path() / "credentials/voirie", "secret\n");
  town.dovecot.deliver(resident_mail(1));
  // Without the directory systemd gives the service, the mailbox fails and says why.
  auto missing = town.once();
  CHECK(missing.status == 75);
  CHECK(missing.err.find("CREDENTIALS_DIRECTORY is not set") != std::string::npos);
  auto r = town.once("CREDENTIALS_DIRECTORY='" + town.dir.str("credentials") + "'");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(town.requests().size() == 1);
}

TEST_CASE("serve: after a restore, mail that arrived since the backup is fetched again and nothing is doubled",
          "[daemon][dovecot][backup]") {
  Town town;
  for (int i = 1; i <= 3; ++i) town.dovecot.deliver(resident_mail(i));
  REQUIRE(town.once().status == 0);
  const std::string copy = town.dir.str("backup.db");
  auto backup = test::run_guichet("backup " + town.args() + " '" + copy + "'");
  INFO(backup.err);
  REQUIRE(backup.status == 0);
  for (int i = 4; i <= 5; ++i) town.dovecot.deliver(resident_mail(i));
  REQUIRE(town.once().status == 0);
  std::map<std::string, std::string> reference_of;
  for (const auto& r : town.requests()) reference_of[r["subject"].get<std::string>()] = r["reference"].get<std::string>();
  REQUIRE(reference_of.size() == 5);
  const size_t acks_before = town.smtp.received().size();

  auto restored = test::run_guichet("restore " + town.args() + " '" + copy + "'");
  INFO(restored.err);
  REQUIRE(restored.status == 0);
  CHECK(town.requests().size() == 3);
  // The two mails since the backup carry $Guichet on the server already; the restored database
  // remembers the UID it had reached, so they are taken again, once.
  auto again = town.once();
  INFO(again.err);
  REQUIRE(again.status == 0);
  json reqs = town.requests();
  REQUIRE(reqs.size() == 5);
  std::set<std::string> subjects, references;
  for (const auto& r : reqs) {
    subjects.insert(r["subject"].get<std::string>());
    references.insert(r["reference"].get<std::string>());
  }
  CHECK(subjects.size() == 5);
  CHECK(references.size() == 5);
  // Taken again in the order of their UIDs: each gets the reference it had, so the
  // acknowledgement sent again (guichet cannot know the first one left) names the same request.
  for (const auto& r : reqs) CHECK(reference_of[r["subject"].get<std::string>()] == r["reference"].get<std::string>());
  CHECK(town.smtp.received().size() > acks_before);
  CHECK(town.messages() == 5);
  REQUIRE(town.once().status == 0);
  CHECK(town.requests().size() == 5);
  CHECK(test::run_guichet("verify " + town.args()).status == 0);
}
