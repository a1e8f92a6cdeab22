#include "mail/date.h"

#include <cctype>
#include <ctime>
#include <vector>

#include "util/strings.h"

namespace guichet::mail {

namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm):
// pure arithmetic, no dependency on the process time zone.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int month_from_name(std::string_view name) {
  static const char* en[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  std::string n = to_lower(name);
  if (n.size() < 3) return 0;
  for (int i = 0; i < 12; ++i) {
    if (n.compare(0, 3, en[i]) == 0) return i + 1;
  }
  // French abbreviations seen from misconfigured webmails ("3 déc. 2026").
  static const std::pair<const char*, int> fr[] = {
      {"janv", 1}, {"f\xC3\xA9v", 2}, {"fev", 2}, {"mars", 3}, {"avr", 4}, {"mai", 5}, {"juin", 6},
      {"juil", 7}, {"ao\xC3\xBB", 8}, {"aou", 8}, {"sept", 9}, {"oct", 10}, {"nov", 11}, {"d\xC3\xA9""c", 12}};
  for (auto& [p, m] : fr) {
    if (istarts_with(n, p)) return m;
  }
  return 0;
}

std::optional<int> zone_offset_minutes(std::string_view z) {
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-')) {
    for (size_t i = 1; i < 5; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(z[i]))) return std::nullopt;
    }
    int hh = (z[1] - '0') * 10 + (z[2] - '0');
    int mm = (z[3] - '0') * 10 + (z[4] - '0');
    if (hh > 23 || mm > 59) return std::nullopt;
    int off = hh * 60 + mm;
    return z[0] == '-' ? -off : off;
  }
  if (z.size() == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':') {
    std::string compact = std::string(z.substr(0, 3)) + std::string(z.substr(4));
    return zone_offset_minutes(compact);
  }
  static const std::pair<const char*, int> named[] = {
      {"ut", 0},        {"utc", 0},       {"gmt", 0},       {"z", 0},         {"est", -300},
      {"edt", -240},    {"cst", -360},    {"cdt", -300},    {"mst", -420},    {"mdt", -360},
      {"pst", -480},    {"pdt", -420},    {"cet", 60},      {"cest", 120},    {"met", 60},
      {"mest", 120},    {"wet", 0},       {"west", 60},     {"bst", 60},      {"eet", 120},
      {"eest", 180}};
  for (auto& [n, off] : named) {
    if (iequals(z, n)) return off;
  }
  return std::nullopt;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<std::int64_t> make_time(long y, int mon, int d, int hh, int mm, int ss, int offset_min) {
  if (mon < 1 || mon > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1970 || y > 9999)
    return std::nullopt;
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mon), static_cast<unsigned>(d));
  return days * 86400 + std::int64_t{hh} * 3600 + std::int64_t{mm} * 60 + std::min(ss, 59) -
         std::int64_t{offset_min} * 60;
}

std::optional<std::int64_t> parse_iso8601(std::string_view s) {
  // 2026-11-03T14:05:00+01:00 or 2026-11-03 14:05:00Z
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ' && s[10] != 't')) return std::nullopt;
  auto num = [&](size_t pos, size_t len) -> int {
    std::string_view p = s.substr(pos, len);
    return all_digits(p) ? std::stoi(std::string(p)) : -1;
  };
  int y = num(0, 4), mon = num(5, 2), d = num(8, 2), hh = num(11, 2), mm = num(14, 2), ss = num(17, 2);
  if (y < 0 || mon < 0 || d < 0 || hh < 0 || mm < 0 || ss < 0) return std::nullopt;
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    size_t k = 1;
    while (k < rest.size() && std::isdigit(static_cast<unsigned char>(rest[k]))) ++k;
    rest = rest.substr(k);
  }
  rest = trim(rest);
  int off = 0;
  if (!rest.empty()) {
    auto z = zone_offset_minutes(rest);
    if (!z) return std::nullopt;
    off = *z;
  }
  return make_time(y, mon, d, hh, mm, ss, off);
}

}  // namespace

std::optional<std::int64_t> parse_date(std::string_view raw) {
  std::string s;
  // Drop comments such as "(CEST)" or "(Paris, Madrid)".
  int depth = 0;
  for (char c : raw) {
    if (c == '(') ++depth;
    else if (c == ')' && depth > 0) --depth;
    else if (depth == 0) s.push_back(c == ',' ? ' ' : c);
  }
  std::string_view sv = trim(s);
  if (auto iso = parse_iso8601(sv)) return iso;

  std::vector<std::string_view> tok;
  for (auto t : split(sv, ' ')) {
    for (auto u : split(t, '\t')) {
      u = trim(u);
      if (!u.empty()) tok.push_back(u);
    }
  }
  size_t i = 0;
  // Optional day name.
  if (i < tok.size() && !all_digits(tok[i]) && month_from_name(tok[i]) == 0) ++i;
  if (i + 3 > tok.size()) return std::nullopt;
  int day = 0, mon = 0;
  long year = 0;
  // "3 Nov 2026" or, from some scripts, "Nov 3 2026".
  if (all_digits(tok[i]) && month_from_name(tok[i + 1]) != 0) {
    day = std::stoi(std::string(tok[i].substr(0, 2)));
    mon = month_from_name(tok[i + 1]);
  } else if (month_from_name(tok[i]) != 0 && all_digits(tok[i + 1])) {
    mon = month_from_name(tok[i]);
    day = std::stoi(std::string(tok[i + 1].substr(0, 2)));
  } else {
    return std::nullopt;
  }
  i += 2;
  std::string_view ytok = tok[i];
  if (!ytok.empty() && ytok.back() == '.') ytok.remove_suffix(1);
  if (!all_digits(ytok) || ytok.size() > 4) return std::nullopt;
  year = std::stol(std::string(ytok));
  if (ytok.size() <= 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 4.3
  else if (ytok.size() == 3) year += 1900;
  ++i;
  int hh = 0, mm = 0, ss = 0;
  if (i < tok.size()) {
    auto parts = split(tok[i], ':');
    if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
    for (auto p : parts) {
      if (!all_digits(p) || p.size() > 2) return std::nullopt;
    }
    hh = std::stoi(std::string(parts[0]));
    mm = std::stoi(std::string(parts[1]));
    if (parts.size() == 3) ss = std::stoi(std::string(parts[2]));
    ++i;
  }
  int offset = 0;
  if (i < tok.size()) {
    auto z = zone_offset_minutes(tok[i]);
    if (z) offset = *z;  // an unknown zone name is read as UTC, like RFC 5322's "-0000"
  }
  return make_time(year, mon, day, hh, mm, ss, offset);
}

std::optional<std::int64_t> parse_received_date(std::string_view received) {
  size_t semi = received.rfind(';');
  if (semi == std::string_view::npos) return std::nullopt;
  return parse_date(received.substr(semi + 1));
}

std::string format_rfc3339(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t received_at(const Message& m, std::int64_t now) {
  for (const auto& r : m.received) {
    if (auto t = parse_received_date(r)) return std::min(*t, now);
    break;  // only the topmost hop is ours
  }
  if (m.date) return std::min(*m.date, now);
  return now;
}

}  // namespace guichet::mail
