// "Mes demandes": the agent's requests that are not closed, the nearest deadline first.
#include "web/context.h"

namespace guichet::web {

namespace {
constexpr int kShown = 200;  // a page a phone still scrolls; an agent with more needs the search
}  // namespace

void page_mine(Ctx& c) {
  if (!c.person->agent) return redirect(c, "/recherche");
  store::ListFilter f;
  f.agent = c.person->agent->id;
  f.open_only = true;
  f.by_deadline = true;  // those with a deadline first, the nearest first
  f.limit = kShown;
  auto rs = c.store.requests(f);
  auto total = c.store.count_requests(f);
  if (!rs || !total) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  kainjow::mustache::list results;
  for (const auto& r : *rs) {
    Data e = request_row(r);
    std::string due;
    if (r.response_due_on && r.response_due_on->size() == 10) {
      const auto& d = *r.response_due_on;
      due = calendar::french_date({std::stoi(d.substr(0, 4)), std::stoi(d.substr(5, 2)), std::stoi(d.substr(8, 2))});
    }
    set_text(e, "due", due);
    e.set("late", is_late(r, c.now));
    results.push_back(e);
  }
  Data d;
  d.set("results", results);
  std::string count = rs->empty() ? std::string("Aucune demande en cours ne vous est confiée.")
                                  : std::to_string(*total) + " demande(s) en cours vous sont confiées.";
  if (*total > static_cast<std::int64_t>(rs->size()))
    count += " Voici les " + std::to_string(rs->size()) + " plus urgentes ; la recherche trouve les autres.";
  d.set("count_text", count);
  send_page(c, "mes-demandes", "Mes demandes", d);
}

}  // namespace guichet::web
