// The live view, for the pilot, heads and élus who follow the whole commune: per department, the
// requests open, late, answered within their target this month, chased; a bar chart drawn here as
// inline SVG (no script: the page works in any browser and with Content-Security-Policy 'self').
#include <algorithm>

#include "util/local_time.h"
#include "util/strings.h"
#include "web/context.h"

namespace guichet::web {

void page_live(Ctx& c) {
  if (!c.person->overview) return send_not_found(c);
  const LocalTime t = local_time(c.now);
  const std::int64_t month_start = from_local(t.year, t.month, 1);
  auto figures = c.store.live_figures(calendar::local_date(c.now).iso(), month_start);
  if (!figures) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  // A head who is not the pilot sees their departments only.
  std::vector<store::DepartmentFigures> shown;
  for (const auto& f : *figures) {
    if (c.person->sees_all ||
        std::find(c.person->departments.begin(), c.person->departments.end(), f.department) != c.person->departments.end())
      shown.push_back(f);
  }
  std::sort(shown.begin(), shown.end(), [](const auto& a, const auto& b) { return a.open > b.open; });
  int most = 1;
  for (const auto& f : shown) most = std::max(most, f.open);
  // One row per service: its name, and under it the bar (open requests, the late ones over
  // them), so that a phone shows the names whole.
  constexpr int kBars = 340, kRow = 36;
  kainjow::mustache::list bars, rows;
  int i = 0;
  for (const auto& f : shown) {
    const std::string name = department_name(c, f.department.empty() ? std::nullopt : std::optional(f.department));
    const int open_width = std::max(2, f.open * kBars / most);
    Data b;
    b.set("name", shorten(name, 48));
    b.set("label_y", std::to_string(i * kRow + 13));
    b.set("y", std::to_string(i * kRow + 18));
    b.set("open_width", std::to_string(open_width));
    b.set("late_width", std::to_string(f.late * kBars / most));
    b.set("value_x", std::to_string(open_width + 6));
    b.set("value_y", std::to_string(i * kRow + 29));
    b.set("open", std::to_string(f.open));
    bars.push_back(b);
    Data r;
    r.set("name", name);
    r.set("open", std::to_string(f.open));
    r.set("late", std::to_string(f.late));
    r.set("is_late", f.late > 0);
    r.set("within", f.answered_this_month ? std::to_string(f.within_target_this_month) + " sur " +
                                                std::to_string(f.answered_this_month)
                                          : std::string("—"));
    r.set("relanced", std::to_string(f.relanced));
    rows.push_back(r);
    ++i;
  }
  Data d;
  d.set("today", calendar::french_date(calendar::local_date(c.now)));
  d.set("bars", bars);
  d.set("rows", rows);
  d.set("chart_width", std::to_string(kBars + 40));
  d.set("chart_height", std::to_string(std::max(1, i) * kRow + 4));
  d.set("has_bars", i > 0);
  send_page(c, "vue", "Vue d'ensemble", d);
}

}  // namespace guichet::web
