// Figures for continuous improvement (`guichet stats`, the web view's figures page): what came in,
// what was answered and how fast, what was late, transferred, chased, decided by silence, and which
// subjects come back. Every figure is computed from the requests received in the period and their
// events, so any period can be recomputed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "calendar/calendar.h"
#include "store/store.h"

namespace guichet::engine {

struct StatsQuery {
  std::int64_t since = 0, until = 0;  // received in [since, until)
  std::string by;                     // "" | department | agent | rule | week | channel
  calendar::Region region = calendar::Region::metropole;
  int day_start_minute = 9 * 60, day_end_minute = 17 * 60;  // working hours
};

struct StatsRow {
  std::string key;  // the department, agent, rule, week ("2026-W49") or channel; "" for the total
  int received = 0, answered = 0, closed = 0;
  // Time from receipt to the first answer, of the requests answered.
  std::optional<double> median_hours, p90_hours;  // in working hours
  std::optional<double> median_days, p90_days;    // in working days
  int with_target = 0, within_target = 0;         // answered on or before the response target
  int chased = 0, relances = 0;                   // requests chased at least once; relances in all
  int transferred = 0, deemed_decisions = 0;
};

struct Stats {
  StatsRow total;
  std::vector<StatsRow> rows;                                 // by the key asked, sorted
  std::vector<std::pair<std::string, int>> transfers;         // "urbanisme → voirie", most first
  std::vector<std::pair<std::string, int>> recurring;         // normalised subjects coming back, most first
};

// Working hours between two instants (the commune's time, working days only).
double working_hours_between(std::int64_t from, std::int64_t to, calendar::Region region, int day_start_minute,
                             int day_end_minute);

Result<Stats> compute_stats(store::Store& store, const StatsQuery& q);

}  // namespace guichet::engine
