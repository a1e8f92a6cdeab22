#include "web/people.h"

#include <algorithm>

namespace guichet::web {

bool Person::may_see(const store::RequestInfo& r) const {
  if (r.kind != "request") return sees_all && can_act;  // machine mail: the pilot's only
  if (sees_all) return true;
  if (agent && r.agent && *r.agent == agent->id) return true;
  for (const auto& d : departments)
    if (r.department && *r.department == d) return true;
  for (const auto& t : tags)
    if (r.tags_json.find("\"" + t + "\"") != std::string::npos) return true;
  return false;
}

store::SearchQuery Person::scope() const {
  store::SearchQuery q;
  q.everything = sees_all;
  q.departments = departments;
  q.tags = tags;
  if (agent) q.agent = agent->id;
  return q;
}

std::optional<Person> person_for(const directory::Directory& dir, const std::string& address) {
  Person p;
  p.address = address;
  if (const auto* a = dir.agent_by_address(address)) {
    p.agent = a;
    p.name = a->first_name + " " + a->last_name;
    p.can_act = true;
    p.sees_all = dir.is_pilot(*a);
    p.departments = a->departments;
    for (const auto& d : dir.departments())
      if (d.head == a->id && std::find(p.departments.begin(), p.departments.end(), d.id) == p.departments.end())
        p.departments.push_back(d.id);
    // Heads and the pilot follow their figures.
    p.overview = p.sees_all;
    for (const auto& d : dir.departments()) p.overview = p.overview || d.head == a->id;
    return p;
  }
  if (const auto* e = dir.elu_by_address(address)) {
    p.elu = e;
    p.name = e->name;
    p.departments = e->departments;
    p.tags = e->tags;
    p.sees_all = e->departments.empty() && e->tags.empty();
    p.overview = p.sees_all;
    return p;
  }
  return std::nullopt;
}

}  // namespace guichet::web
