// The French administrative calendar (lib/calendar): holidays, working days, deemed decisions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>

#include "calendar/calendar.h"

using namespace guichet::calendar;

namespace {
Date D(int y, int m, int d) { return Date{y, m, d}; }
const Delay kTwoMonths{2, Delay::Unit::months};
}  // namespace

TEST_CASE("Easter Sunday, by the Gregorian computus", "[calendar]") {
  CHECK(easter_sunday(2024) == D(2024, 3, 31));
  CHECK(easter_sunday(2025) == D(2025, 4, 20));
  CHECK(easter_sunday(2026) == D(2026, 4, 5));
  CHECK(easter_sunday(2027) == D(2027, 3, 28));
  CHECK(easter_sunday(2028) == D(2028, 4, 16));
  CHECK(easter_sunday(2038) == D(2038, 4, 25));  // the latest possible
  CHECK(easter_sunday(2285) == D(2285, 3, 22));  // the earliest possible
}

TEST_CASE("French public holidays, and Alsace-Moselle's two more", "[calendar]") {
  auto h = public_holidays(2026, Region::metropole);
  CHECK(h.size() == 11);
  for (Date d : {D(2026, 1, 1), D(2026, 4, 6), D(2026, 5, 1), D(2026, 5, 8), D(2026, 5, 14), D(2026, 5, 25),
                 D(2026, 7, 14), D(2026, 8, 15), D(2026, 11, 1), D(2026, 11, 11), D(2026, 12, 25)}) {
    INFO(d.iso());
    CHECK(is_public_holiday(d, Region::metropole));
  }
  CHECK_FALSE(is_public_holiday(D(2026, 4, 3), Region::metropole));  // Good Friday
  CHECK(is_public_holiday(D(2026, 4, 3), Region::alsace_moselle));
  CHECK(is_public_holiday(D(2026, 12, 26), Region::alsace_moselle));
  CHECK_FALSE(is_public_holiday(D(2026, 12, 26), Region::metropole));
  CHECK(public_holidays(2026, Region::alsace_moselle).size() == 13);
}

TEST_CASE("the quick holiday test says what the list of holidays says from 1900 to 2300", "[calendar]") {
  // is_public_holiday answers without building the list; every day of four centuries, both calendars.
  for (Region region : {Region::metropole, Region::alsace_moselle}) {
    int mismatches = 0, holidays = 0, distinct = 0;
    for (int year = 1900; year <= 2300; ++year) {
      auto listed = public_holidays(year, region);
      std::vector<Date> days;
      for (const auto& h : listed) days.push_back(h.date);
      std::sort(days.begin(), days.end());
      distinct += static_cast<int>(std::unique(days.begin(), days.end()) - days.begin());
      for (Date d = D(year, 1, 1); d.year == year; d = add_days(d, 1)) {
        bool in_list = std::any_of(listed.begin(), listed.end(), [&](const Holiday& h) { return h.date == d; });
        holidays += in_list;
        if (in_list != is_public_holiday(d, region)) {
          if (++mismatches < 5) FAIL_CHECK(d.iso());
        }
      }
    }
    CHECK(mismatches == 0);
    // Ascension falls on 1 or 8 May some years: one day, two holidays.
    CHECK(holidays == distinct);
    CHECK(holidays > 401 * (region == Region::metropole ? 11 : 13) - 40);
  }
}

TEST_CASE("days late count jours ouvres one by one and over years too", "[calendar]") {
  int by_steps = 0;
  for (Date d = D(2026, 1, 1); d < D(2028, 3, 1); d = add_days(d, 1))
    by_steps += is_working_day(add_days(d, 1), Region::metropole);
  CHECK(working_days_between(D(2026, 1, 1), D(2028, 3, 1), Region::metropole) == by_steps);
  CHECK(working_days_between(D(2026, 12, 24), D(2026, 12, 28), Region::metropole) == 1);
  CHECK(working_days_between(D(2026, 12, 24), D(2026, 12, 28), Region::alsace_moselle) == 1);
  CHECK(working_days_between(D(2026, 12, 28), D(2026, 12, 24), Region::metropole) == 0);
}

TEST_CASE("working days are Monday to Friday except public holidays", "[calendar]") {
  CHECK(weekday(D(2026, 11, 28)) == 5);  // a Saturday
  CHECK(weekday(D(1970, 1, 1)) == 3);    // a Thursday
  CHECK(is_working_day(D(2026, 11, 27), Region::metropole));
  CHECK_FALSE(is_working_day(D(2026, 11, 28), Region::metropole));
  CHECK_FALSE(is_working_day(D(2026, 11, 11), Region::metropole));  // a Wednesday, Armistice
  // Ten jours ouvrés from Friday 6 November 2026: the 11th is a holiday.
  CHECK(add_working_days(D(2026, 11, 6), 10, Region::metropole) == D(2026, 11, 23));
  CHECK(add_working_days(D(2026, 12, 24), 1, Region::metropole) == D(2026, 12, 28));
  CHECK(add_working_days(D(2026, 12, 24), 1, Region::alsace_moselle) == D(2026, 12, 28));
}

TEST_CASE("months run de quantième à quantième, clamped to the month's end", "[calendar]") {
  CHECK(add_months(D(2026, 11, 12), 2) == D(2027, 1, 12));
  CHECK(add_months(D(2026, 12, 31), 2) == D(2027, 2, 28));
  CHECK(add_months(D(2027, 12, 31), 2) == D(2028, 2, 29));  // leap year
  CHECK(add_months(D(2026, 8, 31), 1) == D(2026, 9, 30));
  CHECK(add_months(D(2026, 1, 31), 12) == D(2027, 1, 31));
}

TEST_CASE("deemed-decision dates: a table", "[calendar][legal]") {
  struct Row {
    Date received;
    Date deemed;
    const char* why;
  };
  const Row rows[] = {
      {D(2026, 11, 12), D(2027, 1, 12), "plain case, a Tuesday"},
      {D(2026, 12, 31), D(2027, 3, 1), "year end: 28 February 2027 is a Sunday"},
      {D(2027, 12, 31), D(2028, 2, 29), "leap year: 29 February 2028, a Tuesday"},
      {D(2027, 12, 30), D(2028, 2, 29), "30 December: clamped to 29 February"},
      {D(2027, 3, 1), D(2027, 5, 3), "1 May 2027 is a Saturday"},
      {D(2026, 3, 1), D(2026, 5, 4), "1 May 2026 is a Friday (holiday), then a weekend"},
      {D(2026, 3, 8), D(2026, 5, 11), "8 May 2026 is a Friday (holiday), then a weekend"},
      {D(2027, 3, 6), D(2027, 5, 7), "Ascension 2027 is Thursday 6 May"},
      {D(2026, 3, 14), D(2026, 5, 15), "Ascension 2026 is Thursday 14 May"},
      {D(2027, 3, 17), D(2027, 5, 18), "Whit Monday 2027 is 17 May"},
      {D(2026, 3, 25), D(2026, 5, 26), "Whit Monday 2026 is 25 May"},
      {D(2026, 5, 14), D(2026, 7, 15), "14 July 2026 is a Tuesday"},
      {D(2026, 6, 15), D(2026, 8, 17), "15 August 2026 is a Saturday"},
      {D(2026, 9, 11), D(2026, 11, 12), "11 November 2026 is a Wednesday"},
      {D(2026, 9, 1), D(2026, 11, 2), "1 November 2026 is a Sunday"},
      {D(2026, 10, 25), D(2026, 12, 28), "Christmas 2026 is a Friday"},
      {D(2027, 2, 5), D(2027, 4, 5), "Easter Monday 2027 is 29 March; 5 April is a Monday"},
  };
  for (const auto& r : rows) {
    INFO(r.why << ": received " << r.received.iso());
    CHECK(deemed_decision_date(r.received, kTwoMonths, Region::metropole).iso() == r.deemed.iso());
  }
  // Easter Monday 2027 falls on 29 March: the row above moves to Tuesday 30 March.
  CHECK(deemed_decision_date(D(2027, 1, 29), kTwoMonths, Region::metropole) == D(2027, 3, 30));
  // Alsace-Moselle: Good Friday 2027 is 26 March, then a weekend and Easter Monday.
  CHECK(deemed_decision_date(D(2027, 1, 26), kTwoMonths, Region::metropole) == D(2027, 3, 26));
  CHECK(deemed_decision_date(D(2027, 1, 26), kTwoMonths, Region::alsace_moselle) == D(2027, 3, 30));
  // Other delays.
  CHECK(deemed_decision_date(D(2026, 11, 3), Delay{15, Delay::Unit::days}, Region::metropole) == D(2026, 11, 18));
  CHECK(deemed_decision_date(D(2026, 11, 3), Delay{4, Delay::Unit::months}, Region::metropole) == D(2027, 3, 3));
}

TEST_CASE("delays as admins write them", "[calendar]") {
  auto two = Delay::parse("2 months");
  REQUIRE(two);
  CHECK(two->amount == 2);
  CHECK(two->unit == Delay::Unit::months);
  CHECK(Delay::parse("2 mois")->unit == Delay::Unit::months);
  CHECK(Delay::parse("15 jours")->unit == Delay::Unit::days);
  CHECK(Delay::parse("10 jours ouvrés")->unit == Delay::Unit::working_days);
  CHECK(Delay::parse("10 Working Days")->unit == Delay::Unit::working_days);
  CHECK(Delay::parse("2 mois")->text() == "2 mois");
  CHECK(Delay::parse("10 jours ouvres")->text() == "10 jours ouvrés");
  for (const char* bad : {"", "months", "2", "2 weeks", "-1 month", "99999 days"}) {
    INFO(bad);
    auto d = Delay::parse(bad);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == guichet::Errc::config);
  }
  CHECK(parse_region("Alsace-Moselle").value() == Region::alsace_moselle);
  CHECK(parse_region("métropole").value() == Region::metropole);
  CHECK_FALSE(parse_region("Corse"));
}

TEST_CASE("dates in French, as the acknowledgement writes them", "[calendar]") {
  CHECK(french_date(D(2026, 12, 3)) == "3 décembre 2026");
  CHECK(french_date(D(2027, 2, 1)) == "1er février 2027");
  CHECK(french_date(D(2026, 8, 15)) == "15 août 2026");
  setenv("TZ", "Europe/Paris", 1);
  tzset();
  // 3 December 2026, 13:05 UTC is 14:05 in Paris (winter time).
  CHECK(french_date_time(1796303100) == "le 3 décembre 2026 à 14 h 05");
  CHECK(local_date(1798759800) == D(2027, 1, 1));  // 31 December 2026, 23:30 UTC
}

TEST_CASE("dates as an agent writes them: Reçu le", "[calendar]") {
  const Date today{2026, 12, 3};
  struct Case {
    const char* text;
    std::optional<Date> want;
  };
  const Case cases[] = {
      {"aujourd'hui", today},          {"Aujourd’hui", today},         {"hier", Date{2026, 12, 2}},
      {"avant-hier", Date{2026, 12, 1}}, {"12/11/2026", Date{2026, 11, 12}}, {"12/11", Date{2026, 11, 12}},
      {"1/3/27", Date{2027, 3, 1}},    {"12-11-2026", Date{2026, 11, 12}}, {"2026-11-12", Date{2026, 11, 12}},
      {"12 novembre 2026", Date{2026, 11, 12}}, {"jeudi 12 novembre", Date{2026, 11, 12}},
      {"1er déc.", Date{2026, 12, 1}}, {"29 FÉVRIER 2028", Date{2028, 2, 29}},
      {"29 février 2027", std::nullopt}, {"31/04/2026", std::nullopt}, {"13/13/2026", std::nullopt},
      {"demain", std::nullopt},        {"", std::nullopt},              {"12 brumaire", std::nullopt},
      {"le 12", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(guichet::calendar::parse_french_date(c.text, today) == c.want);
  }
}
