// One request, as its owner, a head, the pilot or an élu sees it: messages, attachments to
// download, history, owner, status, deadlines, who answered and when; for an agent, a form to act
// on it (engine/actions.h). A request the person may not see is a 404, like one that does not
// exist. Every opening is recorded in the request's history.
#include <nlohmann/json.hpp>

#include "engine/actions.h"
#include "engine/token_key.h"
#include "util/json.h"
#include "util/strings.h"
#include "web/context.h"

namespace guichet::web {

namespace {

const char* role_label(const std::string& role) {
  if (role == "answer") return "réponse d'un agent";
  if (role == "note") return "note interne";
  if (role == "command") return "commandes";
  if (role == "refused") return "refusé (non authentifié, jamais transmis)";
  if (role == "machine") return "message automatique";
  return "";
}

std::string event_label(const store::EventInfo& e) {
  auto d = nlohmann::json::parse(e.detail_json, nullptr, false);
  auto field = [&](const char* k) {
    return d.is_object() && d.contains(k) && d[k].is_string() ? d[k].get<std::string>() : "";
  };
  const std::string& k = e.kind;
  if (k == "created") return "demande enregistrée (service " + field("department") + ")";
  if (k == "message_added") return "nouveau message";
  if (k == "relance") return "relance du demandeur";
  if (k == "acknowledgement_queued") return "accusé de réception envoyé";
  if (k == "acknowledgement_suppressed") return "pas d'accusé de réception : " + field("reason");
  if (k == "notification_queued") return "agent averti";
  if (k == "answer_relayed") return "réponse transmise au demandeur";
  if (k == "answer_held") return "réponse retenue (un collègue avait déjà répondu)";
  if (k == "answer_released") return "réponse retenue envoyée";
  if (k == "answer_recorded") return "réponse enregistrée (" + field("how") + ")";
  if (k == "answer_refused") return "courriel refusé : " + field("reason");
  if (k == "transferred") return "transmise du service " + field("from") + " au service " + field("to");
  if (k == "reassigned") return "confiée à " + field("to");
  if (k == "status_changed") return "statut : " + field("to");
  if (k == "procedure_set") return "procédure fixée";
  if (k == "pieces_requested") return "pièces manquantes demandées";
  if (k == "pieces_received") return "pièces reçues";
  if (k == "note") return "note : " + field("text");
  if (k == "reminder") return "rappel (" + field("kind") + ")";
  if (k == "decision_implicite") return "décision implicite (" + field("outcome") + ")";
  if (k == "viewed") return "consultée";
  if (k == "purged")
    return field("reason") == "erasure" ? "données personnelles effacées (" + field("justification") + ")"
                                        : "données personnelles effacées (conservation : " + field("rule") + ")";
  if (k == "rgpd_export") return "données exportées (droit d'accès)";
  return k;
}

std::string size_text(std::int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " o";
  if (bytes < 1024 * 1024) return std::to_string(bytes / 1024) + " Ko";
  return std::to_string(bytes / (1024 * 1024)) + " Mo";
}

std::string french_iso(const std::optional<std::string>& iso) {
  if (!iso || iso->size() != 10) return "";
  return calendar::french_date(
      {std::stoi(iso->substr(0, 4)), std::stoi(iso->substr(5, 2)), std::stoi(iso->substr(8, 2))});
}

// The choices of the forms to act: every value is one the commands by mail accept.
void set_choices(const Ctx& c, const store::RequestInfo& r, Data& d) {
  using store::RequestStatus;
  const bool waiting = r.status == RequestStatus::waiting, closed = r.status == RequestStatus::closed;
  kainjow::mustache::list statuses{option_item("en cours", "En cours", !waiting && !closed),
                                   option_item("en attente", "En attente du demandeur", waiting),
                                   option_item("clos", "Close", closed)};
  d.set("statuses", statuses);
  const directory::Directory& dir = *c.directory();
  kainjow::mustache::list agents, departments;
  if (r.department)
    for (const auto* a : dir.members(*r.department))
      agents.push_back(option_item(a->id, a->first_name + " " + a->last_name, r.agent && *r.agent == a->id));
  d.set("agents", agents);
  for (const auto& dep : dir.departments())
    departments.push_back(option_item(dep.id, dep.name, r.department && *r.department == dep.id));
  d.set("departments", departments);
  kainjow::mustache::list priorities;
  for (const auto& [value, label] : {std::pair<const char*, const char*>{"low", "Basse"},
                                     {"normal", "Normale"},
                                     {"high", "Haute"},
                                     {"urgent", "Urgente"}})
    priorities.push_back(option_item(label, label, r.priority == value));
  d.set("priorities", priorities);
}

}  // namespace

void page_request(Ctx& c, const std::string& reference, const std::string& notice) {
  auto found = c.store.request(reference);
  if (!found) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  if (!*found || !c.person->may_see(**found)) return send_not_found(c);
  const store::RequestInfo& r = **found;
  // Who opened it, for its history (a GET only: an action records itself).
  if (c.req.method == "GET") {
    auto tx = c.store.transaction();
    if (tx && c.store.add_event(r.id, std::nullopt, c.now, "web:" + c.person->address, "viewed", "{}"))
      (void)tx->commit();
  }
  Data d;
  d.set("reference", r.reference);
  d.set("subject", r.purged_at         ? std::string("(données effacées)")
                   : r.subject.empty() ? std::string("(sans objet)")
                                       : r.subject);
  set_text(d, "purged",
           r.purged_at ? "Les données personnelles de cette demande ont été effacées le " + when(*r.purged_at) +
                             " ; restent la référence, les dates, le service et l'historique."
                       : std::string());
  d.set("status", std::string(store::name(r.status)));
  d.set("status_label", status_label(r.status));
  set_text(d, "channel_label", channel_label(r.channel));
  d.set("requester_name", r.requester.name.empty() ? r.requester.address : r.requester.name);
  set_text(d, "requester_email", r.requester.address);
  set_text(d, "requester_phone", r.requester_phone);
  d.set("received", when(r.received_at));
  d.set("department", department_name(c, r.department));
  d.set("agent", agent_name(c, r.agent));
  set_text(d, "response_due", french_iso(r.response_due_on));
  d.set("late", is_late(r, c.now));
  std::string deemed;
  if (r.silence != "none") {
    deemed = r.deemed_decision_on
                 ? (r.silence == "acceptance" ? "acceptation le " : "rejet le ") + french_iso(r.deemed_decision_on)
                 : std::string("suspendue (pièces manquantes)");
  }
  set_text(d, "deemed", deemed);
  std::string missing;
  for (const auto& m : r.missing) missing += (missing.empty() ? "" : " ; ") + m;
  set_text(d, "missing", missing);
  d.set("missing_deadline", french_iso(r.missing_deadline));
  set_text(d, "relances", r.relances > 0 ? std::to_string(r.relances) : std::string());
  kainjow::mustache::list answers;
  for (const auto& a : r.answers) {
    Data e;
    e.set("when", when(a.at));
    e.set("who", a.agent ? agent_name(c, a.agent) : a.agent_address);
    e.set("how", a.how == "relayed"       ? std::string("transmise par guichet")
                 : a.how == "direct"      ? std::string("directe, adresse du service en copie")
                 : a.how == "sent-folder" ? std::string("depuis la boîte du service")
                 : a.how == "held"        ? std::string("retenue")
                                          : std::string("envoyée après retenue"));
    answers.push_back(e);
  }
  d.set("has_answers", !answers.empty());
  d.set("answers", answers);
  const bool can_act = !r.purged_at && c.person->can_act && c.person->agent && c.directory() &&
                       engine::may_steer(*c.directory(), *c.person->agent, r);
  d.set("can_act", can_act);
  if (can_act) set_choices(c, r, d);
  d.set("csrf", c.csrf);
  set_text(d, "notice", notice);
  kainjow::mustache::list messages;
  for (size_t i = 0; i < r.messages.size(); ++i) {
    const auto& m = r.messages[i];
    Data e;
    e.set("from", m.from.name.empty() ? m.from.address : m.from.name + " <" + m.from.address + ">");
    e.set("when", when(m.received_at));
    e.set("role", m.role);
    set_text(e, "role_label", std::string(role_label(m.role)));
    e.set("text", m.text);
    kainjow::mustache::list files;
    for (size_t j = 0; j < m.attachments.size(); ++j) {
      Data f;
      f.set("reference", r.reference);
      f.set("message", std::to_string(i + 1));
      f.set("index", std::to_string(j + 1));
      f.set("name", m.attachments[j].filename.empty() ? std::string("(sans nom)") : m.attachments[j].filename);
      f.set("size", size_text(m.attachments[j].size));
      files.push_back(f);
    }
    e.set("has_attachments", !files.empty());
    e.set("attachments", files);
    messages.push_back(e);
  }
  d.set("messages", messages);
  kainjow::mustache::list events;
  for (const auto& e : r.events) {
    Data ev;
    ev.set("when", when(e.at));
    ev.set("what", event_label(e));
    ev.set("actor", e.actor == "guichet" ? std::string() : "par " + e.actor);
    events.push_back(ev);
  }
  d.set("events", events);
  send_page(c, "demande", r.reference, d);
}

void page_action(Ctx& c, const std::string& reference) {
  if (!csrf_ok(c, c.csrf)) return send_error(c, 400, "Formulaire expiré", "Rechargez la page et recommencez.");
  auto r = c.store.request_summary(reference, false);
  if (!r) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  if (!*r || !c.person->may_see(**r)) return send_not_found(c);
  if (!c.person->agent || !c.directory() || !engine::may_steer(*c.directory(), *c.person->agent, **r))
    return send_error(c, 403, "Action refusée", "Vous ne pouvez agir que sur les demandes de vos services.");
  const std::string command = c.req.has_param("commande") ? c.req.get_param_value("commande") : "";
  std::string value = c.req.has_param("valeur") ? c.req.get_param_value("valeur") : "";
  if (value.size() > 2000) value.resize(2000);
  std::optional<engine::CommandKey> key;
  if (command == "note") key = engine::CommandKey::note;
  if (command == "statut") key = engine::CommandKey::status;
  if (command == "service") key = engine::CommandKey::service;
  if (command == "agent") key = engine::CommandKey::agent;
  if (command == "priorite") key = engine::CommandKey::priority;
  if (!key || trim(value).empty()) return send_error(c, 400, "Action inconnue", "Choisissez une action et une valeur.");
  auto options = engine::prepare_ingest(c.store, *c.setup, r->value().mailbox);
  if (!options) return send_error(c, 503, "Indisponible", options.error().message);
  auto tx = c.store.transaction();
  if (!tx) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  engine::Actor actor{c.person->agent, c.person->agent->id, false};
  auto done = engine::apply_one(c.store, *key, std::string(trim(value)), **r, actor, *options, c.now);
  std::string notice;
  if (done) {
    if (auto commit = tx->commit(); !commit) return send_error(c, 503, "Indisponible", commit.error().message);
    notice = *done;
  } else {
    notice = done.error().message;
  }
  if (!notice.empty() && notice[0] >= 'a' && notice[0] <= 'z') notice[0] = static_cast<char>(notice[0] - 'a' + 'A');
  // The request as it now stands (it may have moved to a service the agent does not see).
  auto now_visible = c.store.request_summary(reference, false);
  if (now_visible && *now_visible && !c.person->may_see(**now_visible)) {
    Data d;
    d.set("heading", std::string("Fait"));
    d.set("message", notice);
    return send_page(c, "erreur", "Fait", d);
  }
  page_request(c, reference, notice);
}

void page_attachment(Ctx& c, const std::string& reference, int message, int attachment) {
  auto found = c.store.request(reference);
  if (!found) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  if (!*found || !c.person->may_see(**found)) return send_not_found(c);
  const auto& r = **found;
  if (message < 1 || static_cast<size_t>(message) > r.messages.size()) return send_not_found(c);
  const auto& m = r.messages[static_cast<size_t>(message) - 1];
  if (attachment < 1 || static_cast<size_t>(attachment) > m.attachments.size()) return send_not_found(c);
  const auto& a = m.attachments[static_cast<size_t>(attachment) - 1];
  auto bytes = c.store.blob(a.sha256);
  if (!bytes || !*bytes) return send_not_found(c);
  // Always a download, never rendered by the browser (a resident's HTML or SVG could hold script).
  std::string name;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char ch : a.filename.empty() ? std::string("piece-jointe") : a.filename) {
    if (std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_')
      name.push_back(static_cast<char>(ch));
    else
      name += {'%', hex[ch >> 4], hex[ch & 15]};
  }
  c.res.set_header("Content-Disposition", "attachment; filename*=UTF-8''" + name);
  c.res.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
  c.res.set_content(**bytes, "application/octet-stream");
}

}  // namespace guichet::web
