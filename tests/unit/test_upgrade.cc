// Upgrades keep everything: a database written by an earlier guichet (tests/data/upgrade, made by
// make_fixture.sh with that release's binary) opened by this one.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "helpers.h"
#include "store/migrations.h"
#include "store/sqlite.h"
#include "store/store.h"

using namespace guichet;

namespace {

const std::string kFixture = std::string(GUICHET_TEST_DATA) + "/upgrade/schema-9.db";

// Every row that holds what residents sent and what was sent to them, as text to compare.
struct Contents {
  std::int64_t version = 0;
  std::vector<std::string> rows;
  bool operator==(const Contents&) const = default;
};

Contents contents_of(const std::string& path) {
  auto db = store::Database::open(path, store::Database::Mode::read_only);
  REQUIRE(db.ok());
  Contents c;
  auto each = [&](const std::string& sql) {
    auto st = db->prepare(sql);
    REQUIRE(st.ok());
    for (;;) {
      auto row = st->step();
      REQUIRE(row.ok());
      if (!*row) break;
      c.rows.push_back(sql.substr(0, 40) + ": " + st->text(0));
    }
  };
  auto version = db->prepare("PRAGMA user_version");
  REQUIRE(version.ok());
  REQUIRE(version->step().ok());
  c.version = version->int64(0);
  version->reset();
  each("SELECT id || ' ' || sha256 || ' ' || size || ' ' || hex(data) FROM raw_messages ORDER BY id");
  each("SELECT id || ' ' || request_id || ' ' || raw_id || ' ' || coalesce(message_id, '') FROM messages ORDER BY id");
  each(
      "SELECT id || ' ' || reference || ' ' || status || ' ' || coalesce(department, '') || ' ' || "
      "coalesce(agent, '') FROM requests ORDER BY id");
  each("SELECT message_id || ' ' || position || ' ' || filename || ' ' || sha256 FROM attachments ORDER BY 1");
  each("SELECT sha256 || ' ' || hex(data) FROM blobs ORDER BY sha256");
  each("SELECT id || ' ' || kind || ' ' || status || ' ' || recipient || ' ' || hex(message) FROM outbox ORDER BY id");
  each("SELECT id || ' ' || kind || ' ' || coalesce(request_id, '') || ' ' || detail FROM events ORDER BY id");
  return c;
}

int latest_schema() { return store::migrations().back().version; }

}  // namespace

TEST_CASE("upgrade: a database of schema 9 is migrated whole, every mail, byte and outbox row kept", "[upgrade]") {
  test::TempDir dir;
  const std::string db = dir.str("g.db");
  std::filesystem::copy_file(kFixture, db);
  const Contents before = contents_of(db);
  REQUIRE(before.version == 9);
  REQUIRE(before.rows.size() > 50);

  // A read-only command before the upgrade says why it cannot read it, and writes nothing.
  auto list = test::run_guichet("list --db '" + db + "'");
  CHECK(list.status == 75);
  CHECK(list.err.find("is at schema 9, this guichet needs " + std::to_string(latest_schema())) != std::string::npos);
  CHECK(contents_of(db) == before);

  // Any command that writes upgrades it, in one transaction.
  {
    auto st = store::Store::open(db);
    REQUIRE(st.ok());
  }
  Contents after = contents_of(db);
  CHECK(after.version == latest_schema());
  after.version = before.version;
  CHECK(after == before);

  auto verify = test::run_guichet("verify --json --db '" + db + "'");
  INFO(verify.out << verify.err);
  CHECK(verify.status == 0);
  auto listed = test::run_guichet("list --json --db '" + db + "'");
  REQUIRE(listed.status == 0);
  CHECK(nlohmann::json::parse(listed.out).size() == 6);  // the fixture's requests (and one machine mail apart)
  auto found = test::run_guichet("search --json --db '" + db + "' seccotine");
  CHECK(found.status == 0);
}

TEST_CASE("upgrade: a migration that fails leaves the database as it was, and the daemon refuses to start",
          "[upgrade]") {
  test::TempDir dir;
  const std::string db = dir.str("g.db");
  std::filesystem::copy_file(kFixture, db);
  {
    // What a hand-made index of an admin could do: the name migration 10 creates, taken.
    auto d = store::Database::open(db, store::Database::Mode::read_write);
    REQUIRE(d.ok());
    REQUIRE(d->exec("CREATE INDEX requests_merged_into ON requests (id)").ok());
  }
  const Contents before = contents_of(db);
  test::write_file(dir.path() / "guichet.yaml", "database: g.db\n");
  auto serve = test::run_guichet("serve --once --config '" + dir.str("guichet.yaml") + "'");
  CHECK(serve.status != 0);
  CHECK(serve.err.find("migration 0010") != std::string::npos);
  CHECK(serve.err.find("the database was left as it was") != std::string::npos);
  CHECK(contents_of(db) == before);
  auto d = store::Database::open(db, store::Database::Mode::read_only);
  REQUIRE(d.ok());
  auto column = d->prepare("SELECT count(*) FROM pragma_table_info('requests') WHERE name = 'purged_at'");
  REQUIRE(column.ok());
  REQUIRE(column->step().ok());
  CHECK(column->int64(0) == 0);
}
