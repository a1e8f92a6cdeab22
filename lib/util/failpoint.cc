#include "util/failpoint.h"

#include <cstdlib>
#include <string>

#include "util/strings.h"

namespace guichet {

bool failpoint_active(std::string_view name) {
  static const std::string points = [] {
    const char* env = std::getenv("GUICHET_FAILPOINTS");
    return env ? std::string(env) : std::string();
  }();
  if (points.empty()) return false;
  for (auto p : split(points, ',')) {
    if (trim(p) == name) return true;
  }
  return false;
}

}  // namespace guichet
