#include "calendar/calendar.h"

#include <cstdio>
#include <ctime>
#include <regex>

#include "util/local_time.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::calendar {

namespace {

// Days since 1970-01-01 (H. Hinnant's algorithms): exact for any Gregorian date, no time zone.
std::int64_t to_days(Date d) {
  std::int64_t y = d.year - (d.month <= 2);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned m = static_cast<unsigned>(d.month);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d.day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Date from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Date{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

const char* kMonths[] = {"janvier", "f\xC3\xA9vrier", "mars", "avril", "mai", "juin", "juillet",
                         "ao\xC3\xBBt", "septembre", "octobre", "novembre",
                         "d\xC3\xA9" "cembre"};  // NOLINT(bugprone-suspicious-missing-comma): "\xA9c" would be one escape

}  // namespace

std::string Date::iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

Result<Region> parse_region(std::string_view name) {
  std::string n = fold_text(name);
  if (n == "metropole" || n == "france") return Region::metropole;
  if (n == "alsace-moselle" || n == "alsace moselle") return Region::alsace_moselle;
  return Error{Errc::config, "unknown calendar \"" + std::string(name) + "\" (metropole or alsace-moselle)"};
}

Date easter_sunday(int year) {
  const int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
  const int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return Date{year, month, day};
}

int days_in_month(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

int weekday(Date d) {
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  std::int64_t w = (to_days(d) + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

Date add_days(Date d, int days) { return from_days(to_days(d) + days); }
int days_between(Date a, Date b) { return static_cast<int>(to_days(b) - to_days(a)); }

std::vector<Holiday> public_holidays(int year, Region region) {
  Date easter = easter_sunday(year);
  std::vector<Holiday> h = {
      {{year, 1, 1}, "Jour de l'an"},
      {add_days(easter, 1), "Lundi de P\xC3\xA2ques"},
      {{year, 5, 1}, "F\xC3\xAAte du Travail"},
      {{year, 5, 8}, "Victoire 1945"},
      {add_days(easter, 39), "Ascension"},
      {add_days(easter, 50), "Lundi de Pentec\xC3\xB4te"},
      {{year, 7, 14}, "F\xC3\xAAte nationale"},
      {{year, 8, 15}, "Assomption"},
      {{year, 11, 1}, "Toussaint"},
      {{year, 11, 11}, "Armistice 1918"},
      {{year, 12, 25}, "No\xC3\xABl"},
  };
  if (region == Region::alsace_moselle) {
    h.push_back({add_days(easter, -2), "Vendredi saint"});
    h.push_back({{year, 12, 26}, "Saint \xC3\x89tienne"});
  }
  return h;
}

bool is_public_holiday(Date d, Region region) {
  // The same days as public_holidays(), without building its list of names: the deadline scan
  // asks this for every day of every open request's delay.
  const int md = d.month * 100 + d.day;
  switch (md) {
    case 101:
    case 501:
    case 508:
    case 714:
    case 815:
    case 1101:
    case 1111:
    case 1225:
      return true;
    case 1226:
      return region == Region::alsace_moselle;
    default:
      break;
  }
  // Easter Monday is 23 March at the earliest, Whit Monday 14 June at the latest.
  if (d.month < 3 || d.month > 6) return false;
  const int from_easter = days_between(easter_sunday(d.year), d);
  return from_easter == 1 || from_easter == 39 || from_easter == 50 ||
         (region == Region::alsace_moselle && from_easter == -2);
}

bool is_working_day(Date d, Region region) { return weekday(d) < 5 && !is_public_holiday(d, region); }

Date add_months(Date d, int months) {
  int index = d.year * 12 + (d.month - 1) + months;
  Date out{index / 12, index % 12 + 1, d.day};
  out.day = std::min(d.day, days_in_month(out.year, out.month));
  return out;
}

Date next_working_day_on_or_after(Date d, Region region) {
  while (!is_working_day(d, region)) d = add_days(d, 1);
  return d;
}

Date add_working_days(Date d, int n, Region region) {
  while (n > 0) {
    d = add_days(d, 1);
    if (is_working_day(d, region)) --n;
  }
  return d;
}

Result<Delay> Delay::parse(std::string_view text) {
  std::string t = fold_text(text);
  size_t i = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  if (i == 0 || i > 4) return Error{Errc::config, "a delay is a number and a unit, e.g. \"2 months\": \"" + std::string(text) + "\""};
  Delay d;
  d.amount = std::stoi(t.substr(0, i));
  std::string unit(trim(std::string_view(t).substr(i)));
  if (unit == "month" || unit == "months" || unit == "mois") d.unit = Unit::months;
  else if (unit == "day" || unit == "days" || unit == "jour" || unit == "jours") d.unit = Unit::days;
  else if (unit == "working day" || unit == "working days" || unit == "jour ouvre" || unit == "jours ouvres")
    d.unit = Unit::working_days;
  else if (unit == "year" || unit == "years" || unit == "an" || unit == "ans" || unit == "annee" || unit == "annees")
    d.amount *= 12;  // retention periods: "5 ans" is 60 months, counted as months are
  else
    return Error{Errc::config, "unknown delay unit \"" + unit + "\" (years, months, days or working days)"};
  return d;
}

std::string Delay::text() const {
  std::string n = std::to_string(amount);
  switch (unit) {
    case Unit::months:
      return n + " mois";
    case Unit::days:
      return n + (amount > 1 ? " jours" : " jour");
    case Unit::working_days:
      return n + (amount > 1 ? " jours ouvr\xC3\xA9s" : " jour ouvr\xC3\xA9");
  }
  return n;
}

Date sub_working_days(Date d, int n, Region region) {
  while (n > 0) {
    d = add_days(d, -1);
    if (is_working_day(d, region)) --n;
  }
  return d;
}

int working_days_between(Date a, Date b, Region region) {
  // Day numbers rather than add_days() per step: a year late is 365 steps per request per scan.
  int n = 0;
  const std::int64_t last = to_days(b);
  for (std::int64_t z = to_days(a) + 1; z <= last && n < 100000; ++z) {
    const std::int64_t w = (z + 3) % 7;  // 1970-01-01 was a Thursday
    if ((w < 0 ? w + 7 : w) >= 5) continue;
    if (!is_public_holiday(from_days(z), region)) ++n;
  }
  return n;
}

Date before(Date d, const Delay& delay, Region region) {
  switch (delay.unit) {
    case Delay::Unit::months:
      return add_months(d, -delay.amount);
    case Delay::Unit::days:
      return add_days(d, -delay.amount);
    case Delay::Unit::working_days:
      return sub_working_days(d, delay.amount, region);
  }
  return d;
}

Date deemed_decision_date(Date received, const Delay& delay, Region region) {
  Date end = received;
  switch (delay.unit) {
    case Delay::Unit::months:
      end = add_months(received, delay.amount);
      break;
    case Delay::Unit::days:
      end = add_days(received, delay.amount);
      break;
    case Delay::Unit::working_days:
      return add_working_days(received, delay.amount, region);
  }
  return next_working_day_on_or_after(end, region);
}

Date local_date(std::int64_t unix_time) {
  const LocalTime l = local_time(unix_time);
  return Date{l.year, l.month, l.day};
}

std::string french_date(Date d) {
  return (d.day == 1 ? std::string("1er") : std::to_string(d.day)) + " " + kMonths[d.month - 1] + " " +
         std::to_string(d.year);
}

std::string french_date_time(std::int64_t unix_time) {
  const LocalTime l = local_time(unix_time);
  char hm[16];
  std::snprintf(hm, sizeof hm, "%d h %02d", l.hour, l.minute);
  return "le " + french_date(Date{l.year, l.month, l.day}) + " \xC3\xA0 " + hm;
}

std::optional<Date> parse_french_date(std::string_view text, Date today) {
  std::string t = fold_text(trim(text));
  while (!t.empty() && (t.back() == '.' || t.back() == ' ')) t.pop_back();
  if (t == "aujourd'hui" || t == "aujourd\xE2\x80\x99hui" || t == "aujourdhui") return today;
  if (t == "hier") return add_days(today, -1);
  if (t == "avant-hier" || t == "avant hier") return add_days(today, -2);
  static const std::regex numeric(R"(^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$)");
  static const std::regex iso(R"(^(\d{4})-(\d{2})-(\d{2})$)");
  static const std::regex words(
      R"(^(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?(?:\s+(\d{4}))?$)");
  static const char* const months[] = {"janvier", "fevrier", "mars",      "avril",   "mai",      "juin",
                                       "juillet", "aout",    "septembre", "octobre", "novembre", "decembre"};
  std::smatch m;
  int y = today.year, mon = 0, d = 0;
  if (std::regex_match(t, m, iso)) {
    y = std::stoi(m[1].str());
    mon = std::stoi(m[2].str());
    d = std::stoi(m[3].str());
  } else if (std::regex_match(t, m, numeric)) {
    d = std::stoi(m[1].str());
    mon = std::stoi(m[2].str());
    if (m[3].matched) y = std::stoi(m[3].str()) + (m[3].length() == 2 ? 2000 : 0);
  } else if (std::regex_match(t, m, words)) {
    d = std::stoi(m[1].str());
    const std::string word = m[2].str();
    for (int i = 0; i < 12; ++i) {
      const std::string full = months[i];
      // "nov", "novembre", "sept": a month's name or its first three letters at least.
      if (word.size() >= 3 && full.compare(0, word.size(), word) == 0) mon = i + 1;
    }
    if (m[3].matched) y = std::stoi(m[3].str());
  } else {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || d < 1 || y < 1900 || y > 2200 || d > days_in_month(y, mon)) return std::nullopt;
  return Date{y, mon, d};
}

}  // namespace guichet::calendar
