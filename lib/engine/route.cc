#include "engine/route.h"

namespace guichet::engine {

Result<std::optional<std::string>> choose_agent(store::Store& store, const directory::Directory& dir,
                                                const std::optional<std::string>& rule_agent,
                                                const std::string& department, calendar::Date on) {
  auto id_of = [](const directory::Agent* a) { return a ? std::optional<std::string>(a->id) : std::nullopt; };
  if (rule_agent && *rule_agent != "round-robin" && *rule_agent != "least-loaded")
    return id_of(dir.assignee(*rule_agent, department, on));
  std::vector<const directory::Agent*> available;
  for (const auto* a : dir.members(department)) {
    if (!dir.is_absent(*a, on)) available.push_back(a);
  }
  if (!rule_agent || available.empty()) return id_of(dir.assignee("", department, on));
  if (*rule_agent == "round-robin") {
    auto last = store.last_assigned(department);
    if (!last) return last.error();
    size_t next = 0;
    for (size_t i = 0; i < available.size(); ++i) {
      if (*last && available[i]->id == **last) next = i + 1;
    }
    return std::optional<std::string>(available[next % available.size()]->id);
  }
  auto load = store.open_load(department);
  if (!load) return load.error();
  const directory::Agent* best = nullptr;
  int best_load = 0;
  for (const auto* a : available) {
    int l = load->count(a->id) ? load->at(a->id) : 0;
    if (!best || l < best_load) {
      best = a;
      best_load = l;
    }
  }
  return id_of(best);
}

Result<Routed> route(store::Store& store, const mail::Message& m, const IngestOptions& options, std::int64_t arrived,
                     bool trace) {
  Routed out;
  out.department = options.department;  // the mailbox's, unless a rule decides
  if (options.rules) out.evaluation = options.rules->evaluate(routing::MessageView{options.mailbox, &m}, trace);
  const routing::Action& action = out.evaluation.action;
  store::Routing& ro = out.routing;
  ro.rules = out.evaluation.matched;
  if (action.department) out.department = action.department;
  if (action.priority) ro.priority = *action.priority;
  ro.tags = action.tags;
  const calendar::Date received = calendar::local_date(arrived);
  if (action.kind) {
    ro.silence = routing::silence_name(action.kind->silence);
    if (action.kind->delay && action.kind->silence != routing::Silence::none) {
      ro.delay = action.kind->delay->text();
      out.deemed_decision_on = calendar::deemed_decision_date(received, *action.kind->delay, options.region);
      ro.deemed_decision_on = out.deemed_decision_on->iso();
    }
  }
  if (out.department && options.directory) {
    auto agent = choose_agent(store, *options.directory, action.agent, *out.department, received);
    if (!agent) return agent.error();
    ro.agent = *agent;
  }
  out.acknowledge = action.acknowledge.value_or(true);
  out.template_name = templates::acknowledgement_template(action.template_name, ro.silence);
  return out;
}

templates::Letter letter_for(const Routed& routed, const mail::Message& m, const std::string& reference,
                             std::int64_t arrived, const IngestOptions& options) {
  templates::Letter l;
  l.commune = options.commune;
  l.reference = reference;
  l.subject = m.subject;
  l.received_at = arrived;
  if (!m.from.empty()) l.resident = m.from.front();
  if (options.directory) {
    if (routed.department) l.service = options.directory->department(*routed.department);
    if (routed.routing.agent) l.agent = options.directory->agent(*routed.routing.agent);
  }
  l.silence = routed.routing.silence;
  l.delay = routed.routing.delay;
  l.deemed_decision_on = routed.deemed_decision_on;
  l.mailbox = options.mailbox;
  return l;
}

}  // namespace guichet::engine

namespace guichet::engine {

std::optional<std::string> response_due_on(const std::optional<std::string>& department, std::int64_t arrived,
                                           const IngestOptions& options) {
  if (!department || !options.directory) return std::nullopt;
  const auto* dep = options.directory->department(*department);
  if (!dep || !dep->response_target) return std::nullopt;
  return calendar::deemed_decision_date(calendar::local_date(arrived), *dep->response_target, options.region).iso();
}

}  // namespace guichet::engine
