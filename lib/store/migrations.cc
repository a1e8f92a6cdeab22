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
  for (const Migration& m : migrations()) {
    if (m.version <= *current) continue;
    auto tx = Transaction::begin(db);
    if (!tx) return tx.error();
    // Another process may have migrated while we waited for the write lock.
    auto again = user_version(db);
    if (!again) return again.error();
    if (m.version <= *again) continue;
    if (auto r = db.exec(m.sql); !r) return Error{r.error().code, std::string("migration ") + m.name + ": " + r.error().message};
    if (auto r = db.exec("PRAGMA user_version = " + std::to_string(m.version)); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
    spdlog::info("database migrated to schema {} ({})", m.version, m.name);
  }
  return {};
}

}  // namespace guichet::store
