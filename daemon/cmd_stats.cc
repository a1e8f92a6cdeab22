// guichet stats [--since D] [--until D] [--by department|agent|rule|week|channel] [--json|--csv]:
// the figures of the requests received in the period (default: the last 30 days), computed from
// their events (engine/stats.h).
#include <iomanip>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "engine/stats.h"
#include "util/local_time.h"

namespace guichet::cli {

namespace {

std::string number(const std::optional<double>& v) {
  if (!v) return "-";
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << *v;
  return o.str();
}

std::string percent(int part, int whole) {
  if (whole == 0) return "-";
  std::ostringstream o;
  o << std::fixed << std::setprecision(0) << 100.0 * part / whole << " %";
  return o.str();
}

nlohmann::ordered_json row_json(const engine::StatsRow& r) {
  nlohmann::ordered_json j;
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
  if (!r.key.empty()) j["key"] = r.key;
  j["received"] = r.received;
  j["answered"] = r.answered;
  j["closed"] = r.closed;
  j["first_answer_working_hours"] = {{"median", opt(r.median_hours)}, {"p90", opt(r.p90_hours)}};
  j["first_answer_working_days"] = {{"median", opt(r.median_days)}, {"p90", opt(r.p90_days)}};
  j["with_target"] = r.with_target;
  j["within_target"] = r.within_target;
  j["chased"] = r.chased;
  j["relances"] = r.relances;
  j["transferred"] = r.transferred;
  j["deemed_decisions"] = r.deemed_decisions;
  return j;
}

void print_row(const engine::StatsRow& r, const std::string& label) {
  std::cout << std::left << std::setw(28) << label.substr(0, 27) << std::right << std::setw(8) << r.received
            << std::setw(9) << r.answered << std::setw(8) << r.closed << std::setw(10) << number(r.median_hours)
            << std::setw(9) << number(r.p90_hours) << std::setw(10) << percent(r.within_target, r.with_target)
            << std::setw(9) << percent(r.chased, r.received) << std::setw(8) << r.transferred << std::setw(8)
            << r.deemed_decisions << "\n";
}

}  // namespace

Command add_stats(CLI::App& app) {
  struct Options {
    std::string since, until, by;
    bool json = false, csv = false;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("stats", "Figures: received, answered, how fast, late, chased, transferred");
  c.app->add_option("--since", opt->since, "received on or after (YYYY-MM-DD; default: 30 days ago)");
  c.app->add_option("--until", opt->until, "received before (YYYY-MM-DD; default: now)");
  c.app->add_option("--by", opt->by, "one line per department, agent, rule, week or channel")
      ->check(CLI::IsMember({"department", "agent", "rule", "week", "channel"}));
  c.app->add_flag("--json", opt->json, "print JSON (docs/json.md)");
  c.app->add_flag("--csv", opt->csv, "print CSV, one line per group");
  c.needs = Needs::store_read;
  c.run = [opt](Context& ctx) -> int {
    engine::StatsQuery q;
    q.by = opt->by;
    const std::int64_t now = ctx.clock->now();
    q.until = now + 1;
    q.since = now - 30 * 86400;
    if (!opt->since.empty()) {
      auto t = parse_iso8601(opt->since);
      if (!t) return report(Error{Errc::usage, "--since " + opt->since + ": not a date"});
      q.since = *t;
    }
    if (!opt->until.empty()) {
      auto t = parse_iso8601(opt->until);
      if (!t) return report(Error{Errc::usage, "--until " + opt->until + ": not a date"});
      q.until = *t;
    }
    if (auto region = calendar::parse_region(ctx.config.calendar)) q.region = *region;
    q.day_start_minute = ctx.config.deadlines.day_start_minute;
    q.day_end_minute = ctx.config.deadlines.day_end_minute;
    auto stats = engine::compute_stats(*ctx.store, q);
    if (!stats) return report(stats.error());
    if (opt->json) {
      nlohmann::ordered_json j;
      j["since"] = format_local(q.since);
      j["until"] = format_local(q.until);
      j["total"] = row_json(stats->total);
      auto rows = nlohmann::ordered_json::array();
      for (const auto& r : stats->rows) rows.push_back(row_json(r));
      j["by"] = opt->by.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(opt->by);
      j["rows"] = rows;
      auto t = nlohmann::ordered_json::array();
      for (const auto& [k, n] : stats->transfers) t.push_back({{"transfer", k}, {"count", n}});
      j["transfers"] = t;
      auto s = nlohmann::ordered_json::array();
      for (const auto& [k, n] : stats->recurring) s.push_back({{"subject", k}, {"count", n}});
      j["recurring_subjects"] = s;
      print_json(j);
      return 0;
    }
    if (opt->csv) {
      std::cout << "key,received,answered,closed,median_working_hours,p90_working_hours,median_working_days,"
                   "p90_working_days,with_target,within_target,chased,relances,transferred,deemed_decisions\n";
      auto line = [](const engine::StatsRow& r, const std::string& key) {
        std::string k = key;
        for (char& ch : k)
          if (ch == ',' || ch == '"') ch = ' ';
        std::cout << k << "," << r.received << "," << r.answered << "," << r.closed << "," << number(r.median_hours)
                  << "," << number(r.p90_hours) << "," << number(r.median_days) << "," << number(r.p90_days) << ","
                  << r.with_target << "," << r.within_target << "," << r.chased << "," << r.relances << ","
                  << r.transferred << "," << r.deemed_decisions << "\n";
      };
      for (const auto& r : stats->rows) line(r, r.key);
      line(stats->total, "total");
      return 0;
    }
    std::cout << "Requests received from " << format_local(q.since) << " to " << format_local(q.until) << "\n\n"
              << std::left << std::setw(28) << (opt->by.empty() ? "" : opt->by) << std::right << std::setw(8)
              << "received" << std::setw(9) << "answered" << std::setw(8) << "closed" << std::setw(10) << "median h"
              << std::setw(9) << "p90 h" << std::setw(10) << "in target" << std::setw(9) << "chased" << std::setw(8)
              << "moved" << std::setw(8) << "silence" << "\n";
    for (const auto& r : stats->rows) print_row(r, r.key);
    print_row(stats->total, "total");
    std::cout << "\n(first answer in working hours; \"in target\": answered on or before the department's response "
                 "target; \"chased\": requests the resident chased; \"silence\": deemed decisions reached)\n";
    if (!stats->transfers.empty()) {
      std::cout << "\nTransfers (rules that could route better):\n";
      for (const auto& [k, n] : stats->transfers) std::cout << "  " << k << "  " << n << "\n";
    }
    if (!stats->recurring.empty()) {
      std::cout << "\nSubjects that come back:\n";
      for (const auto& [k, n] : stats->recurring) std::cout << "  " << n << "  " << k << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
