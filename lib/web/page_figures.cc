// The figures of `guichet stats` as a page: the last 30 days, by department.
#include <cstdio>

#include "engine/stats.h"
#include "web/context.h"

namespace guichet::web {

namespace {
std::string hours(const std::optional<double>& h) {
  if (!h) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f h", *h);
  return buf;
}
}  // namespace

void page_figures(Ctx& c) {
  if (!c.person->overview) return send_not_found(c);
  engine::StatsQuery q;
  q.until = c.now + 1;
  q.since = c.now - 30 * 86400;
  q.by = "department";
  q.region = c.setup->region;
  q.day_start_minute = c.config().deadlines.day_start_minute;
  q.day_end_minute = c.config().deadlines.day_end_minute;
  auto stats = engine::compute_stats(c.store, q);
  if (!stats) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  kainjow::mustache::list rows;
  auto row = [&](const engine::StatsRow& r, const std::string& key) {
    if (!c.person->sees_all && !key.empty()) {
      bool mine = false;
      for (const auto& d : c.person->departments) mine = mine || d == r.key;
      if (!mine) return;
    }
    Data e;
    e.set("key", key.empty() ? std::string("Total") : department_name(c, key == "-" ? std::nullopt : std::optional(key)));
    e.set("received", std::to_string(r.received));
    e.set("answered", std::to_string(r.answered));
    e.set("closed", std::to_string(r.closed));
    e.set("median", hours(r.median_hours));
    e.set("p90", hours(r.p90_hours));
    e.set("within", r.with_target ? std::to_string(r.within_target) + " sur " + std::to_string(r.with_target) : std::string("—"));
    e.set("chased", std::to_string(r.chased));
    e.set("transferred", std::to_string(r.transferred));
    e.set("deemed", std::to_string(r.deemed_decisions));
    rows.push_back(e);
  };
  for (const auto& r : stats->rows) row(r, r.key);
  if (c.person->sees_all) row(stats->total, "");
  kainjow::mustache::list transfers, recurring;
  for (const auto& [what, n] : stats->transfers) {
    Data e;
    e.set("what", what);
    e.set("count", std::to_string(n));
    transfers.push_back(e);
  }
  for (const auto& [what, n] : stats->recurring) {
    Data e;
    e.set("what", what);
    e.set("count", std::to_string(n));
    recurring.push_back(e);
  }
  Data d;
  d.set("since", calendar::french_date(calendar::local_date(q.since)));
  d.set("until", calendar::french_date(calendar::local_date(c.now)));
  d.set("rows", rows);
  d.set("has_transfers", c.person->sees_all && !transfers.empty());
  d.set("transfers", transfers);
  d.set("has_recurring", c.person->sees_all && !recurring.empty());
  d.set("recurring", recurring);
  send_page(c, "chiffres", "Chiffres", d);
}

}  // namespace guichet::web
