// The one backoff: a failing mailbox and a deferred mail wait `first` seconds, doubling at each
// attempt, at most `max`, with ±20 % jitter so that many failures at once do not come back at once.
#pragma once

#include <cstdint>

namespace guichet {

struct Backoff {
  std::int64_t first = 60;  // seconds before the second attempt
  std::int64_t max = 3600;  // never longer than this between two attempts
};

// The wait after `failures` failures in a row (1 = the first failure).
std::int64_t backoff_seconds(const Backoff& b, int failures);

}  // namespace guichet
