// "Nouvelle demande": an agent records a phone call, a visit to the counter or a letter (with its
// scan) from the web view, through the same engine function as the intake mail and `guichet new`
// (engine/intake.h): the resident is the requester, the rules route it, the acknowledgement goes
// to the resident's address or to the agent to hand over, through the outbox `guichet serve`
// drains. A form that does not check is shown again with the reasons and nothing is stored; a
// recorded one answers with a redirect (a reload records nothing twice) to its confirmation.
#include <nlohmann/json.hpp>

#include "engine/intake.h"
#include "engine/token_key.h"
#include "util/strings.h"
#include "web/context.h"

namespace guichet::web {

namespace {

// A scan of a few pages; the server's body limit (site.cc) leaves room for the form around it.
constexpr size_t kMaxUpload = 8u << 20;
constexpr const char* kMaxUploadText = "8 Mo";

// The mailbox a request recorded by `agent` goes to by default: the first of their department's,
// else the first configured.
std::string default_mailbox(const Ctx& c, const directory::Agent& agent) {
  for (const auto& m : c.config().mailboxes)
    for (const auto& d : agent.departments)
      if (m.department && *m.department == d) return m.name;
  return c.config().mailboxes.empty() ? std::string() : c.config().mailboxes.front().name;
}

bool may_record(const Ctx& c) { return c.person->agent && c.person->can_act && c.directory(); }

void send_form(Ctx& c, const engine::IntakeFields& f, const std::string& mailbox,
               const std::vector<std::string>& problems, int status) {
  Data d;
  d.set("csrf", c.csrf);
  kainjow::mustache::list channels;
  for (const auto& [value, label] : {std::pair<const char*, const char*>{"telephone", "par téléphone"},
                                     {"guichet", "au guichet"},
                                     {"courrier", "par courrier"}})
    channels.push_back(option_item(value, label, f.channel == value));
  d.set("channels", channels);
  const std::string today = calendar::local_date(c.now).iso();
  d.set("today", today);
  d.set("received_on", f.received_on.empty() ? today : f.received_on);
  d.set("requester", f.requester);
  d.set("email", f.email);
  d.set("phone", f.phone);
  d.set("postal", f.postal);
  d.set("subject", f.subject);
  d.set("text", f.text);
  kainjow::mustache::list boxes;
  for (const auto& m : c.config().mailboxes)
    boxes.push_back(option_item(m.name, m.address.empty() ? m.name : m.address, m.name == mailbox));
  d.set("mailboxes", boxes);
  d.set("several_mailboxes", c.config().mailboxes.size() > 1);
  kainjow::mustache::list reasons;
  for (const auto& p : problems) reasons.push_back(p);
  d.set("problems", reasons);
  d.set("has_problems", !problems.empty());
  d.set("max_upload", std::string(kMaxUploadText));
  send_page(c, "nouvelle-demande", "Nouvelle demande", d, status);
}

// A file's name as the browser sent it, without any folder (old browsers send a whole path).
std::string base_name(const std::string& name) {
  const size_t slash = name.find_last_of("/\\");
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

}  // namespace

void page_new(Ctx& c) {
  if (!may_record(c))
    return send_error(c, 403, "Réservé aux agents", "Seuls les agents de l'annuaire enregistrent une demande.");
  engine::IntakeFields f;
  f.channel = "telephone";
  send_form(c, f, default_mailbox(c, *c.person->agent), {}, 200);
}

void page_new_post(Ctx& c) {
  if (!csrf_ok(c, c.csrf)) return send_error(c, 400, "Formulaire expiré", "Rechargez la page et recommencez.");
  if (!may_record(c))
    return send_error(c, 403, "Réservé aux agents", "Seuls les agents de l'annuaire enregistrent une demande.");
  const directory::Agent& agent = *c.person->agent;
  engine::IntakeFields f;
  f.channel = form_field(c.req, "canal");
  f.requester = form_field(c.req, "demandeur");
  f.email = std::string(trim(form_field(c.req, "courriel")));
  f.phone = form_field(c.req, "telephone");
  f.postal = form_field(c.req, "adresse");
  f.subject = form_field(c.req, "objet");
  f.received_on = form_field(c.req, "recu_le");
  f.text = form_field(c.req, "texte");
  std::string mailbox = form_field(c.req, "boite");
  if (mailbox.empty()) mailbox = default_mailbox(c, agent);
  if (!c.config().mailbox(mailbox)) return send_form(c, f, default_mailbox(c, agent), {"Boîte inconnue."}, 422);
  std::vector<mail::OutgoingAttachment> files;
  if (c.req.has_file("piece")) {
    const auto& file = c.req.get_file_value("piece");
    if (file.content.size() > kMaxUpload)
      return send_form(c, f, mailbox,
                       {std::string("Le fichier dépasse ") + kMaxUploadText +
                        " : numérisez-le en moins de pages ou en noir et blanc."},
                       422);
    if (!file.content.empty()) {
      const std::string name =
          base_name(file.filename).empty() ? std::string("courrier.pdf") : base_name(file.filename);
      files.push_back({name, mail::content_type_of_file(name), file.content});
    }
  }
  auto options = engine::prepare_ingest(c.store, *c.setup, mailbox);
  if (!options) return send_error(c, 503, "Indisponible", options.error().message);
  auto tx = c.store.transaction();
  if (!tx) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  FixedClock clock(c.now);
  auto out = engine::record_request(c.store, *options, f, agent, files, "web", clock);
  if (!out) {
    if (out.error().code != Errc::data) return send_error(c, 503, "Indisponible", out.error().message);
    std::vector<std::string> problems;
    for (const auto& line : split(out.error().message, '\n'))
      if (!trim(line).empty()) problems.emplace_back(line);
    return send_form(c, f, mailbox, problems, 422);
  }
  if (auto commit = tx->commit(); !commit) return send_error(c, 503, "Indisponible", commit.error().message);
  redirect(c, "/nouvelle-demande/" + out->reference);
}

void page_new_done(Ctx& c, const std::string& reference) {
  auto found = c.store.request(reference);
  if (!found) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  if (!*found || !c.person->agent) return send_not_found(c);
  const store::RequestInfo& r = **found;
  // Its confirmation is for the agent who recorded it (the request itself may have gone to a
  // service they do not see); anyone else who may see it gets the request.
  std::string recorded_by, handed_to, sent_to;
  for (const auto& e : r.events) {
    const auto d = nlohmann::json::parse(e.detail_json, nullptr, false);
    if (!d.is_object()) continue;
    if (e.kind == "created") recorded_by = d.value("recorded_by", "");
    if (e.kind == "acknowledgement_queued") sent_to = d.value("to", "");
    if (e.kind == "acknowledgement_handed") handed_to = d.value("to", "");
  }
  if (recorded_by != c.person->agent->id) {
    if (c.person->may_see(r)) return redirect(c, "/demande/" + r.reference);
    return send_not_found(c);
  }
  Data d;
  d.set("reference", r.reference);
  d.set("requester", r.requester.name);
  d.set("department", department_name(c, r.department));
  d.set("agent", agent_name(c, r.agent));
  set_text(d, "sent_to", sent_to);
  set_text(d, "handed", handed_to.empty() ? std::string() : std::string("yes"));
  d.set("visible", c.person->may_see(r));
  send_page(c, "demande-enregistree", "Demande " + r.reference + " enregistrée", d);
}

}  // namespace guichet::web
