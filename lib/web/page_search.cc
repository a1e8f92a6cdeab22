// The search page: one box (the first page of an élu), the requests the person may see.
#include "web/context.h"

namespace guichet::web {

namespace {
constexpr size_t kMaxQuery = 200;
}

void page_search(Ctx& c) {
  std::string query = c.req.has_param("q") ? c.req.get_param_value("q") : "";
  if (query.size() > kMaxQuery) query.resize(kMaxQuery);
  Data d;
  d.set("query", query);
  d.set("searched", !query.empty());
  if (!query.empty()) {
    store::SearchQuery q = c.person->scope();
    q.text = query;
    q.limit = 50;
    auto found = c.store.search(q);
    if (!found) return send_error(c, 503, "Indisponible", "La recherche n'a pas abouti, réessayez dans un instant.");
    kainjow::mustache::list results;
    for (const auto& r : *found) {
      Data e = request_row(r);
      e.set("department", department_name(c, r.department));
      e.set("agent", agent_name(c, r.agent));
      e.set("last_activity", "dernière activité le " + when(r.last_message_at.value_or(r.received_at)));
      results.push_back(e);
    }
    d.set("count_text", found->empty() ? std::string("Aucune demande ne correspond.")
                                       : std::to_string(found->size()) + " demande(s)");
    d.set("results", results);
  }
  send_page(c, "recherche", "Recherche", d);
}

}  // namespace guichet::web
