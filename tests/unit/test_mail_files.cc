#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "helpers.h"
#include "transport/mail_files.h"
#include "transport/maildir_source.h"

using namespace guichet;

namespace {
std::vector<transport::RawMail> read_all(const std::string& path) {
  std::vector<transport::RawMail> out;
  auto r = transport::read_mail_path(path, [&](transport::RawMail&& m) -> Result<void> {
    out.push_back(std::move(m));
    return {};
  });
  REQUIRE(r);
  return out;
}
}  // namespace

TEST_CASE("mbox: separators, >From unquoting, the blank line before a separator", "[files][mbox]") {
  test::TempDir dir;
  test::write_file(dir.path() / "box.mbox",
                   "From jean@x.fr Tue Nov  3 14:05:00 2026\n"
                   "From: jean@x.fr\nSubject: un\n\nLigne\n>From the start\n>>From twice\n\n"
                   "From marie@x.fr Tue Nov  3 15:00:00 2026\n"
                   "From: marie@x.fr\nSubject: deux\n\nTexte\nFrom inside a paragraph is not a separator\n");
  auto all = read_all(dir.str("box.mbox"));
  REQUIRE(all.size() == 2);
  CHECK(all[0].bytes == "From: jean@x.fr\nSubject: un\n\nLigne\nFrom the start\n>From twice\n");
  CHECK(all[0].location == dir.str("box.mbox") + "#1");
  CHECK(all[1].bytes == "From: marie@x.fr\nSubject: deux\n\nTexte\nFrom inside a paragraph is not a separator\n");
}

TEST_CASE("mbox with CRLF line endings", "[files][mbox]") {
  std::istringstream in("From a@x.fr Tue Nov  3 14:05:00 2026\r\nSubject: a\r\n\r\nA\r\n\r\nFrom b@x.fr Tue\r\nSubject: b\r\n\r\nB\r\n");
  std::vector<std::string> got;
  REQUIRE(transport::split_mbox(in, "crlf", [&](transport::RawMail&& m) -> Result<void> {
    got.push_back(m.bytes);
    return {};
  }));
  REQUIRE(got.size() == 2);
  CHECK(got[0] == "Subject: a\r\n\r\nA\r\n");
  CHECK(got[1] == "Subject: b\r\n\r\nB\r\n");
}

TEST_CASE("Maildir: new/ then cur/, in name order, tmp/ is never read", "[files][maildir]") {
  test::TempDir dir;
  test::write_file(dir.path() / "md/new/1700000002.b", "Subject: new2\n\nx\n");
  test::write_file(dir.path() / "md/new/1700000001.a", "Subject: new1\n\nx\n");
  test::write_file(dir.path() / "md/cur/1600000000.c:2,S", "Subject: cur\n\nx\n");
  test::write_file(dir.path() / "md/tmp/1700000003.d", "Subject: being delivered\n\nx\n");
  auto all = read_all(dir.str("md"));
  REQUIRE(all.size() == 3);
  CHECK(all[0].bytes.rfind("Subject: new1", 0) == 0);
  CHECK(all[1].bytes.rfind("Subject: new2", 0) == 0);
  CHECK(all[2].bytes.rfind("Subject: cur", 0) == 0);
  CHECK(all[2].location == dir.str("md/cur/1600000000.c:2,S"));
}

TEST_CASE("a plain folder: each file is a mail or an mbox", "[files]") {
  test::TempDir dir;
  test::write_file(dir.path() / "in/a.eml", "Subject: a\n\nx\n");
  test::write_file(dir.path() / "in/b.mbox", "From x Tue\nSubject: b1\n\nx\n\nFrom y Tue\nSubject: b2\n\ny\n");
  test::write_file(dir.path() / "in/.hidden", "Subject: hidden\n\nx\n");
  auto all = read_all(dir.str("in"));
  REQUIRE(all.size() == 3);
  CHECK(all[1].bytes.rfind("Subject: b1", 0) == 0);
}

TEST_CASE("a missing path is EX_NOINPUT", "[files]") {
  auto r = transport::read_mail_path("/nonexistent/guichet", [](transport::RawMail&&) -> Result<void> { return {}; });
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::no_input);
}

TEST_CASE("Maildir watcher: a mail renamed into new/ wakes it at once, nothing else does", "[files][maildir][idle]") {
  test::TempDir dir;
  for (const char* sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(dir.path() / sub);
  auto source = guichet::transport::make_maildir_source(dir.str(""));
  auto watcher = source->watcher();
  REQUIRE(watcher);
  // Nothing: false after the wait.
  auto quiet = watcher->wait(std::chrono::milliseconds(300), {});
  REQUIRE(quiet);
  CHECK_FALSE(*quiet);
  // Written in tmp/ (not watched), then renamed into new/, as every MDA delivers.
  std::thread mda([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    test::write_file(dir.path() / "tmp" / "1.mail", "Subject: x\r\n\r\ny\r\n");
    std::filesystem::rename(dir.path() / "tmp" / "1.mail", dir.path() / "new" / "1.mail");
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto woken = watcher->wait(std::chrono::seconds(10), {});
  mda.join();
  REQUIRE(woken);
  CHECK(*woken);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
}
