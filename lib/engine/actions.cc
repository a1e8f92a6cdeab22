#include "engine/actions.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "engine/clocks.h"
#include "engine/letters.h"
#include "engine/route.h"
#include "mail/address.h"
#include "util/json.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::engine {

namespace {

using store::RequestInfo;
using store::RequestStatus;

constexpr const char* kDone = "fait : ";
constexpr const char* kRefused = "refus\xC3\xA9 : ";

Result<void> event(store::Store& store, const RequestInfo& r, std::optional<std::int64_t> message_row,
                   const Actor& actor, const char* kind, const nlohmann::json& detail, std::int64_t now) {
  return store.add_event(r.id, message_row, now, actor.name, kind, dump_json(detail));
}

Result<RequestInfo> reload(store::Store& store, std::int64_t id) {
  auto r = store.request_summary(id);
  if (!r) return r.error();
  if (!*r) return make_error(Errc::software, "request " + std::to_string(id) + " vanished");
  return std::move(**r);
}

// The deemed-decision date and the response target, from the request as it now stands.
Result<RequestInfo> refresh_clocks(store::Store& store, std::int64_t id, const IngestOptions& options,
                                   std::int64_t now) {
  auto r = reload(store, id);
  if (!r) return r.error();
  store::RequestChanges c;
  c.deemed_decision_on = iso(deemed_decision(*r, options.region));
  c.response_due_on = iso(response_due(*r, options.directory, options.region));
  if (auto u = store.update_request(id, c, now); !u) return u.error();
  return reload(store, id);
}

std::string agent_name(const directory::Agent* a) { return a ? a->first_name + " " + a->last_name : "personne"; }

std::string department_list(const directory::Directory& dir) {
  std::string out;
  for (const auto& d : dir.departments()) out += (out.empty() ? "" : ", ") + d.id;
  return out;
}

std::string member_list(const directory::Directory& dir, const std::string& department) {
  std::string out;
  for (const auto* a : dir.members(department)) out += (out.empty() ? "" : ", ") + a->id;
  return out.empty() ? "aucun" : out;
}

std::optional<RequestStatus> parse_status_word(const std::string& value) {
  const std::string f = fold_text(value);
  for (const char* w : {"en cours", "ouvert", "ouverte", "open", "a traiter", "rouvert", "rouverte"})
    if (f == w) return RequestStatus::open;
  for (const char* w : {"en attente", "attente", "waiting", "en attente du demandeur"})
    if (f == w) return RequestStatus::waiting;
  for (const char* w : {"clos", "close", "cloture", "cloturee", "ferme", "fermee", "termine", "terminee", "closed"})
    if (f == w) return RequestStatus::closed;
  return std::nullopt;
}

std::optional<std::string> parse_priority_word(const std::string& value) {
  const std::string f = fold_text(value);
  if (f == "basse" || f == "low" || f == "faible") return "low";
  if (f == "normale" || f == "normal") return "normal";
  if (f == "haute" || f == "high" || f == "elevee") return "high";
  if (f == "urgente" || f == "urgent" || f == "urgence") return "urgent";
  return std::nullopt;
}

struct ProcedureChoice {
  std::string silence, delay, label;
};

std::optional<ProcedureChoice> parse_procedure(const std::string& value, const IngestOptions& options) {
  const std::string f = fold_text(value);
  if (options.agents.procedures) {
    for (const auto& p : *options.agents.procedures) {
      if (fold_text(p.name) == f || (!p.label.empty() && fold_text(p.label) == f))
        return ProcedureChoice{p.silence, p.delay, p.label.empty() ? p.name : p.label};
    }
  }
  if (f == "aucune" || f == "none" || f == "sans objet") return ProcedureChoice{"none", "", "sans décision implicite"};
  const size_t space = f.find(' ');
  const std::string word = f.substr(0, space);
  std::string silence;
  if (word == "acceptation" || word == "accord" || word == "acceptance") silence = "acceptance";
  if (word == "rejet" || word == "refus" || word == "rejection") silence = "rejection";
  if (silence.empty() || space == std::string::npos) return std::nullopt;
  auto delay = calendar::Delay::parse(f.substr(space + 1));
  if (!delay) return std::nullopt;
  return ProcedureChoice{silence, delay->text(), (silence == "acceptance" ? "acceptation " : "rejet ") + delay->text()};
}

std::string procedure_values(const IngestOptions& options) {
  std::string out = "acceptation 2 mois, rejet 2 mois, aucune";
  if (options.agents.procedures)
    for (const auto& p : *options.agents.procedures) out += ", " + p.name;
  return out;
}

// The agent the rules give a department's new requests: the first rule that routes there.
std::optional<std::string> rules_agent_for(const IngestOptions& options, const std::string& department) {
  if (!options.rules) return std::nullopt;
  for (const auto& rule : options.rules->rules()) {
    if (rule.then.department && *rule.then.department == department) return rule.then.agent;
  }
  return std::nullopt;
}

// ---- one check per command: a refusal, or nullopt; `planned` is the request as it will be ----

std::optional<std::string> check_one(const Command& c, RequestInfo& planned, const IngestOptions& options,
                                     std::vector<CommandKey>& seen) {
  const directory::Directory* dir = options.directory;
  if (c.key == CommandKey::unknown)
    return "commande inconnue « " + c.written + " ». Commandes : Service, Agent, Statut, Proc\xC3\xA9" "dure, Pi\xC3\xA8"
           "ces manquantes, Note, Priorit\xC3\xA9";
  if (c.key >= CommandKey::channel)
    return std::string("« ") + c.written + " » ne sert qu'\xC3\xA0 enregistrer une demande re\xC3\xA7ue par t\xC3\xA9l\xC3\xA9phone, au guichet ou par courrier";
  for (CommandKey k : seen)
    if (k == c.key && c.key != CommandKey::note)
      return std::string("une seule ligne « ") + command_label(c.key) + " » par courriel";
  seen.push_back(c.key);
  if (c.value.empty() && c.items.empty()) return "valeur manquante";
  switch (c.key) {
    case CommandKey::service: {
      if (!dir) return "aucun annuaire des services n'est configur\xC3\xA9";
      const auto* d = dir->find_department(c.value);
      if (!d) return "service inconnu « " + c.value + " ». Services : " + department_list(*dir);
      if (planned.department && *planned.department == d->id)
        return "la demande est d\xC3\xA9j\xC3\xA0 au service " + d->name;
      planned.department = d->id;
      planned.agent.reset();
      return std::nullopt;
    }
    case CommandKey::agent: {
      if (!dir) return "aucun annuaire des agents n'est configur\xC3\xA9";
      const auto* a = dir->find_agent(c.value);
      const std::string dep = planned.department.value_or("");
      if (!a) return "agent inconnu « " + c.value + " ». Agents du service " + dep + " : " + member_list(*dir, dep);
      bool member = false;
      for (const auto& d : a->departments) member = member || d == dep;
      if (!member) return agent_name(a) + " n'est pas du service " + dep + ". Agents du service : " + member_list(*dir, dep);
      if (planned.agent && *planned.agent == a->id) return agent_name(a) + " est d\xC3\xA9j\xC3\xA0 charg\xC3\xA9(e) de la demande";
      planned.agent = a->id;
      return std::nullopt;
    }
    case CommandKey::status: {
      auto s = parse_status_word(c.value);
      if (!s) return "statut inconnu « " + c.value + " ». Statuts : en cours, en attente, clos";
      if (*s == planned.status)
        return std::string("la demande est d\xC3\xA9j\xC3\xA0 ") +
               (*s == RequestStatus::closed ? "close" : *s == RequestStatus::waiting ? "en attente" : "en cours");
      planned.status = *s;
      return std::nullopt;
    }
    case CommandKey::procedure: {
      auto p = parse_procedure(c.value, options);
      if (!p) return "proc\xC3\xA9" "dure inconnue « " + c.value + " ». Proc\xC3\xA9" "dures : " + procedure_values(options);
      planned.silence = p->silence;
      planned.delay = p->delay.empty() ? std::nullopt : std::optional<std::string>(p->delay);
      return std::nullopt;
    }
    case CommandKey::missing:
      if (c.items.empty()) return "aucune pi\xC3\xA8" "ce indiqu\xC3\xA9" "e";
      if (planned.silence == "none")
        return "le silence du service ne vaut pas d\xC3\xA9" "cision pour cette demande : indiquez d'abord la "
               "proc\xC3\xA9" "dure (par exemple « Proc\xC3\xA9" "dure : rejet 2 mois »)";
      planned.missing = c.items;
      planned.status = RequestStatus::waiting;
      return std::nullopt;
    case CommandKey::priority:
      if (!parse_priority_word(c.value)) return "priorit\xC3\xA9 inconnue « " + c.value + " ». Priorit\xC3\xA9s : basse, normale, haute, urgente";
      return std::nullopt;
    case CommandKey::note:
      return std::nullopt;
    default:
      return "commande inconnue";
  }
}

// ---- one application per command: the line of the receipt ----

Result<std::string> transfer(store::Store& store, const RequestInfo& r, const directory::Department& to,
                             std::optional<std::string> agent_id, const Actor& actor, const IngestOptions& options,
                             std::optional<std::int64_t> message_row, std::int64_t now) {
  const directory::Directory& dir = *options.directory;
  const std::optional<std::string> from = r.department;
  if (!agent_id) {
    auto chosen = choose_agent(store, dir, rules_agent_for(options, to.id), to.id, calendar::local_date(now));
    if (!chosen) return chosen.error();
    agent_id = *chosen;
  }
  store::RequestChanges c;
  c.department = std::optional<std::string>(to.id);
  c.agent = agent_id;
  // L114-3: the acceptance clock runs from the receipt by the competent service; the rejection
  // clock keeps running from the first receipt.
  c.competent_since = std::optional<std::int64_t>(now);
  if (auto u = store.update_request(r.id, c, now); !u) return u.error();
  auto after = refresh_clocks(store, r.id, options, now);
  if (!after) return after.error();
  const directory::Agent* agent = agent_id ? dir.agent(*agent_id) : nullptr;
  nlohmann::json detail{{"from", from.value_or("")},
                        {"to", to.id},
                        {"agent", agent_id.value_or("")},
                        {"deemed_decision_on_before", r.deemed_decision_on.value_or("")},
                        {"deemed_decision_on", after->deemed_decision_on.value_or("")},
                        {"response_due_on", after->response_due_on.value_or("")}};
  // The resident hears from the new service (L114-2), in the same conversation.
  auto body = render_letter(templates::kTransfer, *after, options, [&](templates::Data& d) {
    if (from) {
      if (const auto* prev = dir.department(*from)) {
        templates::Data p;
        p.set("name", prev->name);
        p.set("email", prev->email);
        p.set("address", prev->address);
        p.set("phone", prev->phone);
        d.set("previous_service", p);
      }
    }
  });
  if (!body) return body.error();
  if (mail::valid_address(after->requester.address) && options.outgoing.enabled) {
    auto sent = mail_resident(store, *after, ToResident(store::OutboxKind::transfer, *body), options, now);
    if (!sent) return sent.error();
    detail["notice"] = sent->message_id;
  } else {
    detail["notice"] = nullptr;  // no address, or no smtp: the history says so
  }
  if (auto e = event(store, *after, message_row, actor, "transferred", detail, now); !e) return e.error();
  if (agent && options.outgoing.enabled) {
    if (auto n = notify_agent(store, *after, *agent, actor.name, options, now); !n) return n.error();
  }
  return std::string(kDone) + "demande transf\xC3\xA9r\xC3\xA9" "e au service " + to.name + ", agent charg\xC3\xA9 : " +
         agent_name(agent) + (detail["notice"].is_null() ? "" : " ; le demandeur en est avis\xC3\xA9");
}

// `missing_follows`: a "Pièces manquantes" of the same mail comes next; its notice is then the
// full acknowledgement, and the procedure sends none of its own.
Result<std::string> apply(store::Store& store, const Command& c, const RequestInfo& r, const Actor& actor,
                          const IngestOptions& options, std::optional<std::int64_t> message_row, std::int64_t now,
                          bool missing_follows = false) {
  const directory::Directory* dir = options.directory;
  switch (c.key) {
    case CommandKey::service:
      return transfer(store, r, *dir->find_department(c.value), std::nullopt, actor, options, message_row, now);
    case CommandKey::agent: {
      const auto* a = dir->find_agent(c.value);
      store::RequestChanges ch;
      ch.agent = std::optional<std::string>(a->id);
      if (auto u = store.update_request(r.id, ch, now); !u) return u.error();
      auto after = reload(store, r.id);
      if (!after) return after.error();
      if (auto e = event(store, r, message_row, actor, "reassigned", {{"from", r.agent.value_or("")}, {"to", a->id}}, now); !e)
        return e.error();
      if (options.outgoing.enabled) {
        if (auto n = notify_agent(store, *after, *a, actor.name, options, now); !n) return n.error();
      }
      return std::string(kDone) + "demande confi\xC3\xA9" "e \xC3\xA0 " + agent_name(a);
    }
    case CommandKey::status: {
      const RequestStatus s = *parse_status_word(c.value);
      store::RequestChanges ch;
      ch.status = s;
      if (auto u = store.update_request(r.id, ch, now); !u) return u.error();
      if (auto e = event(store, r, message_row, actor, "status_changed",
                         {{"from", store::name(r.status)}, {"to", store::name(s)}}, now);
          !e)
        return e.error();
      return std::string(kDone) + "statut : " +
             (s == RequestStatus::closed ? "close" : s == RequestStatus::waiting ? "en attente" : "en cours");
    }
    case CommandKey::procedure: {
      const ProcedureChoice p = *parse_procedure(c.value, options);
      store::RequestChanges ch;
      ch.silence = p.silence;
      ch.delay = p.delay.empty() ? std::nullopt : std::optional<std::string>(p.delay);
      if (auto u = store.update_request(r.id, ch, now); !u) return u.error();
      auto after = refresh_clocks(store, r.id, options, now);
      if (!after) return after.error();
      if (auto e = event(store, *after, message_row, actor, "procedure_set",
                         {{"silence", p.silence}, {"delay", p.delay}, {"deemed_decision_on", after->deemed_decision_on.value_or("")}},
                         now);
          !e)
        return e.error();
      std::string line = std::string(kDone) + "proc\xC3\xA9" "dure : " + p.label;
      if (after->deemed_decision_on) line += ", d\xC3\xA9" "cision implicite le " + *after->deemed_decision_on;
      // R112-11-2: the full acknowledgement, when only the registration receipt went out.
      if (p.silence != "none" && !after->full_ack_at && !after->suspended_since && !missing_follows) {
        auto sent = send_full_acknowledgement(store, *after, options, now);
        if (!sent) return sent.error();
        if (*sent) line += " ; l'accus\xC3\xA9 de r\xC3\xA9" "ception complet est envoy\xC3\xA9 au demandeur";
      }
      return line;
    }
    case CommandKey::missing: {
      auto delay = options.agents.missing_pieces_delay;
      const calendar::Date deadline = calendar::deemed_decision_date(calendar::local_date(now), delay, options.region);
      store::RequestChanges ch;
      ch.missing = c.items;
      ch.missing_deadline = std::optional<std::string>(deadline.iso());
      if (!r.suspended_since) ch.suspended_since = std::optional<std::int64_t>(now);
      ch.status = RequestStatus::waiting;
      if (auto u = store.update_request(r.id, ch, now); !u) return u.error();
      auto after = refresh_clocks(store, r.id, options, now);
      if (!after) return after.error();
      nlohmann::json detail{{"missing", c.items}, {"deadline", deadline.iso()}};
      std::string line = std::string(kDone) + std::to_string(c.items.size()) +
                         " pi\xC3\xA8" "ce(s) demand\xC3\xA9" "e(s) avant le " + calendar::french_date(deadline) +
                         ", d\xC3\xA9lai suspendu";
      // L114-5 and R112-11-4: the resident gets the full acknowledgement naming what is missing.
      if (options.outgoing.enabled && mail::valid_address(after->requester.address)) {
        auto body = render_letter(templates::kAcknowledgement, *after, options);
        if (!body) return body.error();
        auto sent = mail_resident(store, *after, ToResident(store::OutboxKind::missing_pieces, *body), options, now);
        if (!sent) return sent.error();
        detail["notice"] = sent->message_id;
        if (!after->full_ack_at) {
          store::RequestChanges full;
          full.full_ack_at = std::optional<std::int64_t>(now);
          if (auto u = store.update_request(r.id, full, now); !u) return u.error();
        }
        line += " ; le demandeur en est avis\xC3\xA9";
      }
      if (auto e = event(store, *after, message_row, actor, "pieces_requested", detail, now); !e) return e.error();
      return line;
    }
    case CommandKey::priority: {
      store::RequestChanges ch;
      ch.priority = *parse_priority_word(c.value);
      if (auto u = store.update_request(r.id, ch, now); !u) return u.error();
      if (auto e = event(store, r, message_row, actor, "priority_set", {{"from", r.priority}, {"to", *ch.priority}}, now); !e)
        return e.error();
      return std::string(kDone) + "priorit\xC3\xA9 " + c.value;
    }
    case CommandKey::note:
      if (auto e = event(store, r, message_row, actor, "note", {{"text", c.value}}, now); !e) return e.error();
      return std::string(kDone) + "note interne enregistr\xC3\xA9" "e (jamais transmise au demandeur)";
    default:
      return make_error(Errc::software, "unchecked command");
  }
}

}  // namespace

bool may_steer(const directory::Directory& dir, const directory::Agent& agent, const store::RequestInfo& r) {
  if (dir.is_pilot(agent)) return true;
  if (r.agent && *r.agent == agent.id) return true;
  if (!r.department) return false;
  for (const auto& d : agent.departments)
    if (d == *r.department) return true;
  const auto* head = dir.head_of(*r.department);
  return head && head->id == agent.id;
}

std::vector<CommandResult> check_commands(const std::vector<Command>& commands, const store::RequestInfo& r,
                                          const Actor& actor, const IngestOptions& options) {
  std::vector<CommandResult> out;
  const bool allowed = actor.admin || (actor.agent && options.directory && may_steer(*options.directory, *actor.agent, r));
  RequestInfo planned = r;
  std::vector<CommandKey> seen;
  for (const auto& c : commands) {
    CommandResult res{c.key, c.written, c.value, false, ""};
    std::optional<std::string> refusal;
    if (!allowed)
      refusal = "vous ne pouvez agir que sur les demandes de vos services (celle-ci est au service " +
                r.department.value_or("?") + ")";
    else
      refusal = check_one(c, planned, options, seen);
    res.ok = !refusal;
    if (refusal) res.text = kRefused + *refusal;
    out.push_back(std::move(res));
  }
  return out;
}

Result<std::vector<CommandResult>> apply_commands(store::Store& store, const std::vector<Command>& commands,
                                                  const store::RequestInfo& r, const Actor& actor,
                                                  const IngestOptions& options, std::optional<std::int64_t> message_row,
                                                  std::int64_t now) {
  auto results = check_commands(commands, r, actor, options);
  bool all_ok = true;
  for (const auto& res : results) all_ok = all_ok && res.ok;
  if (!all_ok) {
    for (auto& res : results)
      if (res.ok) res.text = "non appliqu\xC3\xA9" "e : une autre commande de ce courriel est refus\xC3\xA9" "e";
    return results;
  }
  // In an order that makes sense whatever the agent wrote: move the request first, then the
  // agent of its new service, then what depends on the procedure, the status last.
  static const CommandKey order[] = {CommandKey::service, CommandKey::agent,    CommandKey::procedure,
                                     CommandKey::missing, CommandKey::priority, CommandKey::note,
                                     CommandKey::status};
  // A transfer with "Agent :" in the same mail goes to that agent at once (one notice, not two).
  std::optional<size_t> agent_line, service_line;
  bool missing = false;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].key == CommandKey::agent) agent_line = i;
    if (commands[i].key == CommandKey::service) service_line = i;
    missing = missing || commands[i].key == CommandKey::missing;
  }
  for (CommandKey k : order) {
    for (size_t i = 0; i < commands.size(); ++i) {
      if (commands[i].key != k) continue;
      auto current = reload(store, r.id);
      if (!current) return current.error();
      Result<std::string> line = std::string();
      if (k == CommandKey::service && agent_line) {
        const auto* a = options.directory->find_agent(commands[*agent_line].value);
        line = transfer(store, *current, *options.directory->find_department(commands[i].value), a->id, actor, options,
                        message_row, now);
      } else if (k == CommandKey::agent && service_line) {
        line = std::string(kDone) + "demande confi\xC3\xA9" "e \xC3\xA0 " +
               agent_name(options.directory->find_agent(commands[i].value)) + " avec le transfert";
      } else {
        line = apply(store, commands[i], *current, actor, options, message_row, now, missing);
      }
      if (!line) return line.error();
      results[i].text = *line;
    }
  }
  return results;
}

Result<std::string> apply_one(store::Store& store, CommandKey key, const std::string& value,
                              const store::RequestInfo& r, const Actor& actor, const IngestOptions& options,
                              std::int64_t now) {
  Command c;
  c.key = key;
  c.written = command_label(key);
  c.value = value;
  if (key == CommandKey::missing) {
    auto block = parse_command_block(std::string(command_label(key)) + " : " + value);
    if (!block.commands.empty()) c.items = block.commands.front().items;
  }
  auto results = apply_commands(store, {c}, r, actor, options, std::nullopt, now);
  if (!results) return results.error();
  const CommandResult& res = results->front();
  if (!res.ok) return make_error(Errc::data, res.text);
  return res.text;
}

Result<void> pieces_received(store::Store& store, const store::RequestInfo& r, std::int64_t message_row,
                             const IngestOptions& options, std::int64_t now) {
  if (!r.suspended_since) return {};
  const calendar::Date since = calendar::local_date(*r.suspended_since), today = calendar::local_date(now);
  // Whole days the clock stood still (the day of the request and the day of the pieces count once).
  int days = 0;
  for (calendar::Date d = since; d < today && days < 3660; d = calendar::add_days(d, 1)) ++days;
  store::RequestChanges c;
  c.suspended_since = std::optional<std::int64_t>();
  c.missing = std::vector<std::string>{};
  c.missing_deadline = std::optional<std::string>();
  if (r.silence == "acceptance") c.competent_since = std::optional<std::int64_t>(now);  // starts again (L114-5)
  else c.suspended_days = r.suspended_days + days;                                       // resumes
  c.status = RequestStatus::open;
  if (auto u = store.update_request(r.id, c, now); !u) return u;
  auto after = refresh_clocks(store, r.id, options, now);
  if (!after) return after.error();
  return store.add_event(r.id, message_row, now, "guichet", "pieces_received",
                         dump_json(nlohmann::json{{"suspended_days", days},
                                                  {"missing", r.missing},
                                                  {"deemed_decision_on", after->deemed_decision_on.value_or("")}}));
}

Result<bool> send_full_acknowledgement(store::Store& store, const store::RequestInfo& r, const IngestOptions& options,
                                       std::int64_t now) {
  if (!options.outgoing.enabled || !mail::valid_address(r.requester.address)) return false;
  auto body = render_letter(templates::kAcknowledgement, r, options);
  if (!body) return body.error();
  auto sent = mail_resident(store, r, ToResident(store::OutboxKind::full_acknowledgement, *body), options, now);
  if (!sent) return sent.error();
  if (!sent->outbox_id) return false;  // already sent once
  store::RequestChanges c;
  c.full_ack_at = std::optional<std::int64_t>(now);
  if (auto u = store.update_request(r.id, c, now); !u) return u.error();
  if (auto e = store.add_event(r.id, std::nullopt, now, "guichet", "full_acknowledgement_queued",
                               dump_json(nlohmann::json{{"outbox", *sent->outbox_id}, {"message_id", sent->message_id}}));
      !e)
    return e.error();
  return true;
}

Result<void> notify_agent(store::Store& store, const store::RequestInfo& r, const directory::Agent& agent,
                          const std::string& actor, const IngestOptions& options, std::int64_t now) {
  auto body = render_letter(templates::kAgentNotification, r, options, [&](templates::Data& d) {
    templates::Data a;
    a.set("first_name", agent.first_name);
    a.set("last_name", agent.last_name);
    a.set("title", agent.title);
    a.set("address", agent.address);
    a.set("email", agent.email);
    d.set("agent", a);  // named to themself, anonymous or not
    d.set("actor", actor == "guichet" ? std::string() : actor);
    d.set("note_address", note_address(r, agent, options));
  });
  if (!body) return body.error();
  ToAgent m;
  m.kind = store::OutboxKind::notification;
  const std::string what = actor == "guichet" ? "Nouvelle demande : " : "Demande confi\xC3\xA9" "e : ";
  m.subject = what + (r.subject.empty() ? std::string("(sans objet)") : r.subject);
  m.body = std::move(*body);
  m.reply = answer_token(r, agent);
  auto sent = mail_agent(store, r, agent, std::move(m), options, now);
  if (!sent) return sent.error();
  return store.add_event(r.id, std::nullopt, now, "guichet", "notification_queued",
                         dump_json(nlohmann::json{{"outbox", sent->outbox_id.value_or(0)}, {"to", agent.email}}));
}

}  // namespace guichet::engine
