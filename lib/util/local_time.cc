#include "util/local_time.h"

#include <cstdio>
#include <ctime>

namespace guichet {

LocalTime local_time(std::int64_t unix_time) {
  const std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  localtime_r(&t, &tm);
  LocalTime l;
  l.year = tm.tm_year + 1900;
  l.month = tm.tm_mon + 1;
  l.day = tm.tm_mday;
  l.hour = tm.tm_hour;
  l.minute = tm.tm_min;
  l.second = tm.tm_sec;
  l.weekday = tm.tm_wday;
  l.utc_offset_seconds = tm.tm_gmtoff;
  return l;
}

std::int64_t from_local(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;  // let the zone say whether summer time applies
  return static_cast<std::int64_t>(std::mktime(&tm));
}

namespace {
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}
}  // namespace

std::optional<std::int64_t> parse_iso8601(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    if (!digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, mi))
      return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  }
  if (pos == s.size()) return from_local(y, mo, d, h, mi, sec);
  long offset = 0;
  if (s[pos] == 'Z' && pos + 1 == s.size()) {
    offset = 0;
  } else if ((s[pos] == '+' || s[pos] == '-') && s.size() == pos + 6 && s[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + 4, 2, om)) return std::nullopt;
    offset = (oh * 3600L + om * 60L) * (s[pos] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
}

std::string format_local(std::int64_t unix_time) {
  const LocalTime l = local_time(unix_time);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", l.year, l.month, l.day, l.hour, l.minute);
  return buf;
}

}  // namespace guichet
