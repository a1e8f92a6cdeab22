#include "store/migrations.h"

#include <spdlog/spdlog.h>

namespace guichet::store {

namespace {
Result<int> user_version(Database& db) {
  auto st = db.prepare("PRAGMA user_version");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return static_cast<int>(st->int64(0));
}
}  // namespace

Result<void> migrate(Database& db) {
  auto current = user_version(db);
  if (!current) return current.error();
  int latest = migrations().empty() ? 0 : migrations().back().version;
  if (*current > latest) {
    return Error{Errc::config, "database schema version " + std::to_string(*current) +
                                   " is newer than this guichet understands (" + std::to_string(latest) + ")"};
  }
  if (*current == latest) return {};
  // Every pending migration in one transaction: an upgrade either lands whole or leaves the
  // database as it was. Foreign keys are off meanwhile (a table rebuilt to change a CHECK
  // constraint is dropped and renamed), and checked before the commit.
  if (auto r = db.exec("PRAGMA foreign_keys=OFF"); !r) return r.error();
  auto result = [&]() -> Result<int> {
    auto tx = Transaction::begin(db);
    if (!tx) return tx.error();
    // Another process may have migrated while we waited for the write lock.
    auto from = user_version(db);
    if (!from) return from.error();
    int applied = *from;
    for (const Migration& m : migrations()) {
      if (m.version <= applied) continue;
      if (auto r = db.exec(m.sql); !r)
        return Error{r.error().code, std::string("migration ") + m.name + ": " + r.error().message +
                                         " (the database was left as it was)"};
      applied = m.version;
    }
    auto check = db.prepare("PRAGMA foreign_key_check");
    if (!check) return check.error();
    auto bad = check->step();
    if (!bad) return bad.error();
    if (*bad)
      return Error{Errc::software, "migration to schema " + std::to_string(applied) + ": table " + check->text(0) +
                                       " row " + std::to_string(check->int64(1)) +
                                       " breaks a foreign key (the database was left as it was)"};
    check->reset();
    if (auto r = db.exec("PRAGMA user_version = " + std::to_string(applied)); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
    return applied;
  }();
  if (auto r = db.exec("PRAGMA foreign_keys=ON"); !r) return r.error();
  if (!result) return result.error();
  if (*result > *current) spdlog::info("database migrated from schema {} to {}", *current, *result);
  return {};
}

}  // namespace guichet::store
