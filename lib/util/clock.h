// The world's time comes in through Clock so that tests can be "Friday 13 July 2026, 17:55".
#pragma once

#include <cstdint>

namespace guichet {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch, UTC.
  virtual std::int64_t now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now() const override;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::int64_t t) : t_(t) {}
  std::int64_t now() const override { return t_; }
  void set(std::int64_t t) { t_ = t; }

 private:
  std::int64_t t_;
};

}  // namespace guichet
