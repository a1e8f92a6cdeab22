// The French administrative calendar: public holidays, working days, and the date on which an
// administration's silence becomes a decision. Every counting rule guichet uses lives here, in one
// place, tested (tests/unit/test_calendar.cc) and documented (docs/ARCHITECTURE.md, "Calendar").
//
// The rules (docs/legal.md §2, from secondary sources — hence configurable where uncertain):
// - a delay in months runs "de quantième à quantième": received 12 November + 2 months = 12 January;
//   when that day does not exist, the last day of the month (31 December + 2 months = 28 or 29 February);
// - a deadline that falls on a Saturday, a Sunday or a public holiday moves to the next working day;
// - "jours ouvrés" are Monday to Friday except public holidays;
// - public holidays: 1 January, Easter Monday, 1 May, 8 May, Ascension, Whit Monday, 14 July,
//   15 August, 1 November, 11 November, 25 December; Alsace-Moselle adds Good Friday and 26 December.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace guichet::calendar {

struct Date {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31

  auto operator<=>(const Date&) const = default;
  std::string iso() const;  // 2026-11-03
};

enum class Region { metropole, alsace_moselle };

// "metropole" or "alsace-moselle".
Result<Region> parse_region(std::string_view name);

Date easter_sunday(int year);  // Gregorian computus (Meeus/Jones/Butcher)
int days_in_month(int year, int month);
int weekday(Date d);  // 0 = Monday … 6 = Sunday
Date add_days(Date d, int days);
// Calendar days from `a` to `b` (negative when b is earlier).
int days_between(Date a, Date b);

struct Holiday {
  Date date;
  std::string name;  // "Lundi de Pâques"
};
std::vector<Holiday> public_holidays(int year, Region region);
bool is_public_holiday(Date d, Region region);
bool is_working_day(Date d, Region region);  // a "jour ouvré"

// De quantième à quantième, clamped to the month's last day.
Date add_months(Date d, int months);
Date next_working_day_on_or_after(Date d, Region region);
// The date `n` jours ouvrés after `d` (d itself does not count).
Date add_working_days(Date d, int n, Region region);
// The date `n` jours ouvrés before `d` (d itself does not count): "the day before the deadline".
Date sub_working_days(Date d, int n, Region region);
// How many jours ouvrés from `a` (excluded) to `b` (included); 0 when b <= a. "Days late".
int working_days_between(Date a, Date b, Region region);

// A delay as written in configuration: "2 months", "2 mois", "15 days", "15 jours",
// "10 working days", "10 jours ouvrés", "5 years", "5 ans" (60 months).
struct Delay {
  enum class Unit { days, months, working_days };
  int amount = 0;
  Unit unit = Unit::months;

  static Result<Delay> parse(std::string_view text);
  std::string text() const;  // "2 mois", "15 jours", "10 jours ouvrés"
};

// `d` minus a delay: "a reminder 1 jour ouvré before the target" (months and days as written,
// working days on the calendar).
Date before(Date d, const Delay& delay, Region region);

// The date on which silence on a request received on `received` becomes a decision: the delay
// counted from receipt, moved to the next working day when it ends on a non-working day.
Date deemed_decision_date(Date received, const Delay& delay, Region region);

// The calendar date of a Unix time in the process time zone (the commune's: see config.timezone).
Date local_date(std::int64_t unix_time);

// "3 décembre 2026"; with the time: "le 3 décembre 2026 à 14 h 05".
std::string french_date(Date d);
std::string french_date_time(std::int64_t unix_time);

// A date as an agent writes it: "aujourd'hui", "hier", "avant-hier", "12/11/2026", "12/11" (this
// year), "12-11-2026", "2026-11-12", "12 novembre 2026", "jeudi 12 novembre", "1er déc.". Case and
// accents do not matter. nullopt when it is none of these or is no real day.
std::optional<Date> parse_french_date(std::string_view text, Date today);

}  // namespace guichet::calendar
