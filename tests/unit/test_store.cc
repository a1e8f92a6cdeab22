#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "helpers.h"
#include "store/migrations.h"
#include "store/store.h"

using namespace guichet;

namespace {
std::string pragma(const std::string& db_path, const std::string& name) {
  auto db = store::Database::open(db_path, store::Database::Mode::read_only);
  REQUIRE(db);
  auto st = db->prepare("PRAGMA " + name);
  REQUIRE(st);
  auto row = st->step();
  REQUIRE(row);
  REQUIRE(*row);
  return st->text(0);
}
}  // namespace

TEST_CASE("opening creates the schema in WAL mode, reopening is a no-op", "[store]") {
  test::TempDir dir;
  std::string path = dir.str("g.db");
  {
    auto s = store::Store::open(path);
    REQUIRE(s);
  }
  CHECK(pragma(path, "journal_mode") == "wal");
  CHECK(pragma(path, "user_version") == std::to_string(store::migrations().back().version));
  auto again = store::Store::open(path);
  REQUIRE(again);
}

TEST_CASE("commits are durable: synchronous=FULL on every write connection", "[store]") {
  test::TempDir dir;
  auto s = store::Store::open(dir.str("g.db"));
  REQUIRE(s);
  // The pragma is per connection: check it through a fresh one opened the same way.
  auto db = store::Database::open(dir.str("g.db"), store::Database::Mode::read_write);
  REQUIRE(db);
  REQUIRE(db->exec("PRAGMA synchronous=FULL"));
  auto st = db->prepare("PRAGMA synchronous");
  REQUIRE(st);
  REQUIRE(*st->step());
  CHECK(st->int64(0) == 2);  // FULL
}

TEST_CASE("a database from a newer guichet is refused", "[store]") {
  test::TempDir dir;
  {
    auto db = store::Database::open(dir.str("g.db"), store::Database::Mode::read_write);
    REQUIRE(db);
    REQUIRE(db->exec("PRAGMA user_version = 9999"));
  }
  auto s = store::Store::open(dir.str("g.db"));
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::config);
  CHECK(s.error().message.find("newer") != std::string::npos);
}

TEST_CASE("read-only opening of a missing or empty database says so", "[store]") {
  test::TempDir dir;
  auto missing = store::Store::open(dir.str("none.db"), store::Database::Mode::read_only);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::temp_fail);
}

TEST_CASE("references are YEAR-NNNNNN with one sequence per year", "[store]") {
  test::TempDir dir;
  auto s = store::Store::open(dir.str("g.db"));
  REQUIRE(s);
  auto tx = s->transaction();
  REQUIRE(tx);
  store::NewRequest r;
  r.subject = "x";
  r.year = 2026;
  CHECK(s->create_request(r, 0)->second == "2026-000001");
  CHECK(s->create_request(r, 0)->second == "2026-000002");
  r.year = 2027;
  CHECK(s->create_request(r, 0)->second == "2027-000001");
  r.year = 2026;
  CHECK(s->create_request(r, 0)->second == "2026-000003");
  REQUIRE(tx->commit());
}

TEST_CASE("a rolled-back transaction leaves nothing behind", "[store]") {
  test::TempDir dir;
  auto s = store::Store::open(dir.str("g.db"));
  REQUIRE(s);
  {
    auto tx = s->transaction();
    REQUIRE(tx);
    store::NewRequest r;
    r.subject = "x";
    r.year = 2026;
    REQUIRE(s->create_request(r, 0));
  }  // no commit
  auto all = s->requests();
  REQUIRE(all);
  CHECK(all->empty());
}

TEST_CASE("a writer waits for another instead of failing with 'database is locked'", "[store]") {
  test::TempDir dir;
  auto a = store::Store::open(dir.str("g.db"));
  auto b = store::Store::open(dir.str("g.db"));
  REQUIRE(a);
  REQUIRE(b);
  auto tx = a->transaction();
  REQUIRE(tx);
  bool committed = false;
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    committed = tx->commit().ok();
  });
  auto start = std::chrono::steady_clock::now();
  auto tx2 = b->transaction();  // blocks in busy_timeout until `a` commits
  release.join();
  CHECK(committed);
  REQUIRE(tx2);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250));
  REQUIRE(tx2->commit());
}
