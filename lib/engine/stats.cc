#include "engine/stats.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "util/local_time.h"

namespace guichet::engine {

double working_hours_between(std::int64_t from, std::int64_t to, calendar::Region region, int day_start_minute,
                             int day_end_minute) {
  if (to <= from) return 0;
  double seconds = 0;
  calendar::Date d = calendar::local_date(from);
  const calendar::Date last = calendar::local_date(to);
  for (int guard = 0; d <= last && guard < 3700; ++guard, d = calendar::add_days(d, 1)) {
    if (!calendar::is_working_day(d, region)) continue;
    const std::int64_t open = from_local(d.year, d.month, d.day, day_start_minute / 60, day_start_minute % 60);
    const std::int64_t close = from_local(d.year, d.month, d.day, day_end_minute / 60, day_end_minute % 60);
    const std::int64_t a = std::max(open, from), b = std::min(close, to);
    if (b > a) seconds += static_cast<double>(b - a);
  }
  return seconds / 3600.0;
}

namespace {

std::optional<double> percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least p of the values at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string week_of(std::int64_t t) {
  const calendar::Date d = calendar::local_date(t);
  // ISO 8601 week: the Thursday of the week decides the year.
  const int wd = calendar::weekday(d);  // 0 = Monday
  const calendar::Date thursday = calendar::add_days(d, 3 - wd);
  const int yday = calendar::days_between(calendar::Date{thursday.year, 1, 1}, thursday);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-W%02d", thursday.year, yday / 7 + 1);
  return buf;
}

struct Facts {
  std::optional<std::int64_t> first_answer, closed_at;
  int relances = 0;
  bool transferred = false, deemed = false;
};

}  // namespace

Result<Stats> compute_stats(store::Store& store, const StatsQuery& q) {
  auto requests = store.figure_requests(q.since, q.until);
  if (!requests) return requests.error();
  auto events = store.figure_events(q.since, q.until);
  if (!events) return events.error();
  std::unordered_map<std::int64_t, Facts> facts;
  Stats out;
  std::map<std::string, int> transfers;
  for (const auto& e : *events) {
    Facts& f = facts[e.request_id];
    if (e.kind == "answer_relayed" || e.kind == "answer_recorded" || e.kind == "answer_released") {
      if (!f.first_answer || e.at < *f.first_answer) f.first_answer = e.at;
    } else if (e.kind == "status_changed") {
      auto d = nlohmann::json::parse(e.detail_json, nullptr, false);
      if (d.is_object() && d.value("to", "") == "closed") f.closed_at = e.at;
    } else if (e.kind == "transferred") {
      f.transferred = true;
      auto d = nlohmann::json::parse(e.detail_json, nullptr, false);
      if (d.is_object()) transfers[d.value("from", "?") + " \xE2\x86\x92 " + d.value("to", "?")]++;
    } else if (e.kind == "relance") {
      ++f.relances;
    } else if (e.kind == "decision_implicite") {
      f.deemed = true;
    }
  }
  struct Acc {
    StatsRow row;
    std::vector<double> hours, days;
  };
  std::map<std::string, Acc> groups;
  Acc total;
  std::map<std::string, int> subjects;
  for (const auto& r : *requests) {
    const Facts& f = facts[r.id];
    std::string key;
    if (q.by == "department") key = r.department.value_or("-");
    else if (q.by == "agent") key = r.agent.value_or("-");
    else if (q.by == "rule") key = r.first_rule.empty() ? "-" : r.first_rule;
    else if (q.by == "week") key = week_of(r.received_at);
    else if (q.by == "channel") key = r.channel;
    for (Acc* acc : {&total, q.by.empty() ? nullptr : &groups[key]}) {
      if (!acc) continue;
      StatsRow& row = acc->row;
      ++row.received;
      if (f.first_answer) {
        ++row.answered;
        acc->hours.push_back(working_hours_between(r.received_at, *f.first_answer, q.region, q.day_start_minute,
                                                   q.day_end_minute));
        acc->days.push_back(calendar::working_days_between(calendar::local_date(r.received_at),
                                                           calendar::local_date(*f.first_answer), q.region));
      }
      if (f.closed_at) ++row.closed;
      if (r.response_due_on) {
        ++row.with_target;
        if (f.first_answer && calendar::local_date(*f.first_answer).iso() <= *r.response_due_on) ++row.within_target;
      }
      if (f.relances > 0) ++row.chased;
      row.relances += f.relances;
      row.transferred += f.transferred;
      row.deemed_decisions += f.deemed;
    }
    if (!r.subject_key.empty()) subjects[r.subject_key]++;
  }
  auto finish = [](Acc& acc, const std::string& key) {
    acc.row.key = key;
    acc.row.median_hours = percentile(acc.hours, 0.5);
    acc.row.p90_hours = percentile(acc.hours, 0.9);
    acc.row.median_days = percentile(acc.days, 0.5);
    acc.row.p90_days = percentile(acc.days, 0.9);
    return acc.row;
  };
  out.total = finish(total, "");
  for (auto& [k, acc] : groups) out.rows.push_back(finish(acc, k));
  for (const auto& [k, n] : transfers) out.transfers.emplace_back(k, n);
  std::sort(out.transfers.begin(), out.transfers.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [k, n] : subjects)
    if (n > 1) out.recurring.emplace_back(k, n);
  std::sort(out.recurring.begin(), out.recurring.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (out.recurring.size() > 10) out.recurring.resize(10);
  return out;
}

}  // namespace guichet::engine
