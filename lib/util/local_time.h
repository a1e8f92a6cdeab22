// The commune's local time: the one place that turns a Unix time into a calendar date and a clock
// time, and back. The process time zone is the commune's (`timezone` in guichet.yaml, applied as
// TZ when a command starts), so dates of receipt, reference years, digests at 08:00 and the dates
// in letters all agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace guichet {

struct LocalTime {
  int year = 1970, month = 1, day = 1;  // month 1-12
  int hour = 0, minute = 0, second = 0;
  int weekday = 4;              // 0 = Sunday … 6 = Saturday (1 January 1970 was a Thursday)
  long utc_offset_seconds = 0;  // east of UTC: +3600 in Paris in winter
};

LocalTime local_time(std::int64_t unix_time);

// The Unix time of a local date and time (mktime: a time that does not exist, in the spring gap,
// is moved forward; an ambiguous one in the autumn takes the first).
std::int64_t from_local(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);

// "2026-12-03T14:05:00+01:00", "2026-12-03T14:05:00Z", "2026-12-03T14:05" or "2026-12-03" (local
// time when no offset is given; midnight when no time is). nullopt when it does not parse.
std::optional<std::int64_t> parse_iso8601(std::string_view text);

// "2026-12-03 14:05", for listings.
std::string format_local(std::int64_t unix_time);

}  // namespace guichet
