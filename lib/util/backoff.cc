#include "util/backoff.h"

#include <algorithm>
#include <random>

namespace guichet {

std::int64_t backoff_seconds(const Backoff& b, int failures) {
  double delay = static_cast<double>(b.first);
  for (int i = 1; i < failures && delay < static_cast<double>(b.max); ++i) delay *= 2;
  delay = std::min(delay, static_cast<double>(b.max));
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return static_cast<std::int64_t>(delay * jitter(rng));
}

}  // namespace guichet
