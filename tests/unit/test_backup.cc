// guichet backup, verify and restore as a town's IT uses them: a copy taken while the daemon
// ingests, a damaged database named row by row, a full disk, a restore under a running daemon.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/wait.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "helpers.h"
#include "servers.h"
#include "store/raw_codec.h"
#include "store/sqlite.h"

using namespace guichet;
using nlohmann::json;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

// A Maildir town whose acknowledgements are files: what the daemon does, without servers.
struct MaildirTown {
  test::TempDir dir;
  MaildirTown() {
    const std::string src = GUICHET_SOURCE_DIR;
    test::write_file(dir.path() / "guichet.yaml",
                     "commune: Champignac-en-Cambrousse\ndatabase: g.db\ndirectory: " + src +
                         "/etc/directory.yaml\nrules: " + src +
                         "/rules\nmailboxes:\n  - {name: mairie, url: 'maildir://inbox', address: "
                         "mairie@champignac.example, department: accueil}\nsmtp:\n  url: maildir://outbox\n"
                         "deadlines:\n  digest_at: 'off'\n");
    for (const char* sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(dir.path() / "inbox" / sub);
  }
  std::string args() const { return "--config " + q(dir.str("guichet.yaml")); }
  std::string db() const { return dir.str("g.db"); }
  // Resident n's mail, with a small PDF so that blobs are part of what a backup must carry.
  void deliver(int n) const {
    std::string content = "%PDF-1.4\n% plan de situation " + std::to_string(n % 7) + "\n";
    while (content.size() < 400) content += "0 0 m 595 842 l S\n";
    const std::string pdf = store::base64_lines(content, 76, "\r\n");
    const std::string raw =
        "From: Résident " + std::to_string(n) + " <resident" + std::to_string(n) +
        "@example.org>\r\nTo: mairie@champignac.example\r\nSubject: Demande " + std::to_string(n) +
        "\r\nDate: Tue, 17 Nov 2026 09:30:00 +0100\r\nMessage-ID: <backup-" + std::to_string(n) +
        "@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici ma demande numéro " +
        std::to_string(n) +
        ".\r\n--b\r\nContent-Type: application/pdf; name=piece.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + pdf +
        "\r\n--b--\r\n";
    test::write_file(dir.path() / "inbox/new" / ("17942" + std::to_string(100000 + n) + ".M1P1.champignac"), raw);
  }
  int requests(const std::string& db_path = "") const {
    auto r = test::run_guichet("list --json --limit 100000 " + args() + (db_path.empty() ? "" : " --db " + q(db_path)));
    return r.status == 0 ? static_cast<int>(json::parse(r.out).size()) : -1;
  }
};

json verify(const std::string& db) {
  auto r = test::run_guichet("verify --json --db " + q(db));
  INFO(r.err);
  return r.out.empty() ? json() : json::parse(r.out);
}

void exec_sql(const std::string& db, const std::string& sql) {
  auto d = store::Database::open(db, store::Database::Mode::read_write);
  REQUIRE(d);
  REQUIRE(d->exec(sql));
}

bool exited_running(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == 0; }

}  // namespace

TEST_CASE("backup: copies taken while the daemon ingests 5,000 mails each verify and restore", "[backup]") {
  MaildirTown town;
  for (int n = 1; n <= 5000; ++n) town.deliver(n);
  test::Process daemon;
  daemon.start({GUICHET_BIN, "serve", "--once", "--config", town.dir.str("guichet.yaml")}, town.dir.str("serve.log"));
  int taken = 0, during = 0;
  std::string last;
  while (exited_running(daemon.pid()) || taken == 0) {
    const std::string copy = town.dir.str("copy-" + std::to_string(taken) + ".db");
    auto r = test::run_guichet("backup " + town.args() + " " + q(copy));
    // The daemon has not created the database yet, or not written its schema.
    if (r.status == 66 || r.err.find("holds no guichet data") != std::string::npos) continue;
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("stored mails checked against their SHA-256") != std::string::npos);
    json v = verify(copy);
    CHECK(v["ok"] == true);
    const int n = v["requests"].get<int>();
    if (n > 0 && n < 5000) ++during;
    CHECK(v["messages"] == n);  // every request of this run has its one message: a copy is never half a commit
    CHECK_FALSE(std::filesystem::exists(copy + ".partial"));
    last = copy;
    ++taken;
  }
  INFO(test::read_file(town.dir.str("serve.log")));
  CHECK(during > 0);
  // The copy comes back in place of the database: what it held, nothing more, and it verifies.
  const int in_copy = verify(last)["requests"].get<int>();
  auto restored = test::run_guichet("restore " + town.args() + " " + q(last));
  INFO(restored.err);
  REQUIRE(restored.status == 0);
  CHECK(town.requests() == in_copy);
  CHECK(verify(town.db())["ok"] == true);
  bool kept = false;
  for (const auto& e : std::filesystem::directory_iterator(town.dir.path()))
    kept = kept || e.path().filename().string().starts_with("g.db.before-restore-");
  CHECK(kept);
}

TEST_CASE("verify: a damaged database names its rows and exits 65, and nothing is repaired", "[backup][malformed]") {
  MaildirTown town;
  for (int n = 1; n <= 3; ++n) town.deliver(n);
  REQUIRE(test::run_guichet("serve --once " + town.args()).status == 0);
  auto ok = test::run_guichet("verify " + town.args());
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(ok.out.find("3 requests, 3 messages, 3 stored mails") != std::string::npos);

  // A mail's bytes changed behind guichet's back, an attachment's content truncated.
  exec_sql(town.db(), "UPDATE raw_messages SET data = zeroblob(length(data)) WHERE id = 2");
  exec_sql(town.db(), "UPDATE blobs SET data = substr(data, 1, 3) WHERE id = 1");
  auto bad = test::run_guichet("verify " + town.args());
  CHECK(bad.status == 65);
  CHECK(bad.out.find("raw_messages 2 (message 2, request 2026-") != std::string::npos);
  CHECK(bad.out.find("blobs 1: 3 bytes stored") != std::string::npos);
  CHECK(bad.err.find("restore the last backup") != std::string::npos);
  json j = verify(town.db());
  CHECK(j["ok"] == false);
  CHECK(j["problems"].size() >= 2);
  // Reported, not repaired: a second run says the same.
  CHECK(test::run_guichet("verify " + town.args()).out == bad.out);
  // A backup of a damaged database is refused, and nothing is left where it would have gone.
  auto copy = test::run_guichet("backup " + town.args() + " " + q(town.dir.str("copy.db")));
  CHECK(copy.status == 65);
  CHECK(copy.err.find("does not verify, nothing was kept") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(town.dir.str("copy.db")));
  CHECK_FALSE(std::filesystem::exists(town.dir.str("copy.db.partial")));

  // Pages overwritten in the middle of the file: SQLite's own check names them.
  const std::string broken = town.dir.str("broken.db");
  std::filesystem::copy_file(town.db(), broken);
  {
    std::fstream f(broken, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 3);
    const std::string junk(4096 * 2, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto torn = test::run_guichet("verify --db " + q(broken));
  CHECK(torn.status != 0);
  CHECK_FALSE(torn.err.empty());
  // Not a database at all, no database: each says so.
  test::write_file(town.dir.path() / "text.db", "bonjour, ceci n'est pas une base\n");
  auto text = test::run_guichet("verify --db " + q(town.dir.str("text.db")));
  CHECK(text.status != 0);
  CHECK(text.err.find("text.db") != std::string::npos);
  CHECK(test::run_guichet("verify --db " + q(town.dir.str("none.db"))).status == 66);
}

TEST_CASE("backup: a full disk gives a clear error, leaves no partial copy and the database untouched",
          "[backup][malformed]") {
  MaildirTown town;
  for (int n = 1; n <= 200; ++n) town.deliver(n);
  REQUIRE(test::run_guichet("serve --once " + town.args()).status == 0);
  const std::string small = town.dir.str("small");
  std::filesystem::create_directories(small);
  // A 64 KiB file system: as root (CI) a tmpfs; elsewhere a file-size limit does the same to write().
  const bool mounted = ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=64k") == 0;
  const std::string limit = mounted ? "" : "trap '' XFSZ; ulimit -f 64; ";
  auto before = verify(town.db());
  const std::string target = small + "/copy.db";
  auto r = test::run_guichet("backup " + town.args() + " " + q(target), "", limit);
  if (mounted) ::umount(small.c_str());
  INFO(r.err);
  CHECK(r.status == 75);
  CHECK(r.err.find("cannot write the backup " + target) != std::string::npos);
  CHECK((r.err.find("full") != std::string::npos || r.err.find("too large") != std::string::npos));
  CHECK_FALSE(std::filesystem::exists(target));
  CHECK_FALSE(std::filesystem::exists(target + ".partial"));
  CHECK(verify(town.db()) == before);
  CHECK(town.requests() == 200);
}

TEST_CASE("restore: refused under a running daemon and for a backup that does not verify, and one daemon per database",
          "[backup][daemon]") {
  MaildirTown town;
  town.deliver(1);
  REQUIRE(test::run_guichet("serve --once " + town.args()).status == 0);
  const std::string copy = town.dir.str("copy.db");
  REQUIRE(test::run_guichet("backup " + town.args() + " " + q(copy)).status == 0);
  CHECK(test::run_guichet("backup " + town.args() + " " + q(town.db())).status == 64);

  test::Process daemon;
  daemon.start({GUICHET_BIN, "serve", "--config", town.dir.str("guichet.yaml")}, town.dir.str("serve.log"));
  bool locked = false;
  for (int i = 0; i < 100 && !locked; ++i) {
    locked = test::read_file(town.dir.str("g.db.lock")).find(std::to_string(daemon.pid())) != std::string::npos;
    if (!locked) ::usleep(100000);
  }
  REQUIRE(locked);
  auto second = test::run_guichet("serve --once " + town.args());
  CHECK(second.status == 75);
  CHECK(second.err.find("guichet serve is running on this database (pid " + std::to_string(daemon.pid()) + ")") !=
        std::string::npos);
  auto under = test::run_guichet("restore " + town.args() + " " + q(copy));
  CHECK(under.status == 75);
  CHECK(under.err.find("stop it first") != std::string::npos);
  daemon.stop();

  exec_sql(copy, "UPDATE raw_messages SET sha256 = 'x'");
  town.deliver(2);
  REQUIRE(test::run_guichet("serve --once " + town.args()).status == 0);
  auto bad = test::run_guichet("restore " + town.args() + " " + q(copy));
  CHECK(bad.status == 65);
  CHECK(bad.err.find("nothing was restored") != std::string::npos);
  CHECK(town.requests() == 2);
}
