// Test-only failure injection. GUICHET_FAILPOINTS="ingest.commit,…" makes the named points
// fail, so tests can prove that a crash or an I/O error at that point loses nothing. Unset in
// production: the check is one cached lookup.
#pragma once

#include <string_view>

namespace guichet {

bool failpoint_active(std::string_view name);

}  // namespace guichet
