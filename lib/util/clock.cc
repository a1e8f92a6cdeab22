#include "util/clock.h"

#include <ctime>

namespace guichet {

std::int64_t SystemClock::now() const { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace guichet
