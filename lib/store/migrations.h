// Numbered schema migrations (schema/NNNN_name.sql), embedded at build time and applied in order
// at start-up, all pending ones in one transaction together with the PRAGMA user_version bump.
#pragma once

#include <string>
#include <vector>

#include "store/sqlite.h"

namespace guichet::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

const std::vector<Migration>& migrations();

// Applies the missing migrations. Refuses a database written by a newer guichet.
Result<void> migrate(Database& db);

}  // namespace guichet::store
