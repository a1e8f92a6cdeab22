#include "engine/intake.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "calendar/calendar.h"
#include "engine/letters.h"
#include "engine/outbox.h"
#include "engine/route.h"
#include "mail/address.h"
#include "mail/quote.h"
#include "templates/templates.h"
#include "tokens/tokens.h"
#include "util/json.h"
#include "util/local_time.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::engine {

namespace {

std::optional<store::Channel> channel_of(const std::string& written) {
  const std::string c = fold_text(trim(written));
  if (c == "telephone" || c == "tel" || c == "appel" || c == "appel telephonique") return store::Channel::telephone;
  if (c == "guichet" || c == "accueil" || c == "visite" || c == "comptoir") return store::Channel::counter;
  if (c == "courrier" || c == "lettre" || c == "courrier postal") return store::Channel::letter;
  return std::nullopt;
}

// The resident's request as routing and the acknowledgement see it: from the resident, to the
// mailbox, the agent's text. No Message-ID: the resident never sent one, and the acknowledgement
// must not claim to answer the agent's mail.
mail::Message resident_view(const Intake& intake, const mail::Message& agents_mail, const IngestOptions& options) {
  mail::Message m;
  m.from = {intake.requester};
  if (!options.outgoing.mailbox_address.empty()) m.to = {mail::Address{"", options.outgoing.mailbox_address}};
  m.subject = intake.subject;
  m.text = intake.text;
  m.date = intake.received_at;
  m.attachments = agents_mail.attachments;
  return m;
}

// The intake mail could not be taken: it is kept apart, and its author told why and what to fix.
Result<Outcome> refuse_intake(store::Store& store, const Incoming& in, const directory::Agent& agent,
                              const std::string& problems, const IngestOptions& options, Outcome out) {
  auto created = keep_apart(store, in, options.mailbox);
  if (!created) return created.error();
  auto row = record_message(store, in, created->first, store::MessageRole::refused, agent.id, out.matched_by, false);
  if (!row) return row.error();
  if (auto e = store.add_event(created->first, *row, in.now, agent.id, "intake_refused",
                               dump_json(nlohmann::json{{"reason", problems}}));
      !e)
    return e.error();
  auto kept = store.request_summary(created->first);
  if (!kept) return kept.error();
  if (*kept && options.templates) {
    auto body = render_letter(templates::kIntakeRefused, **kept, options, [&](templates::Data& d) {
      templates::Data a;
      a.set("first_name", agent.first_name);
      d.set("agent", a);
      kainjow::mustache::list items;
      for (const auto& line : split(problems, '\n')) {
        templates::Data item;
        item.set("text", std::string(line));
        items.push_back(item);
      }
      d.set("problems", items);
    });
    if (!body) return body.error();
    ToAgent mail;
    mail.subject =
        "Demande non enregistr\xC3\xA9"
        "e";
    mail.body = std::move(*body);
    if (auto q = mail_agent(store, **kept, agent, std::move(mail), options, in.now); !q) return q.error();
  }
  spdlog::warn("{}: intake by {} refused, kept apart as {}: {}", options.mailbox, agent.id, created->second, problems);
  out.kind = Decision::Kind::new_request;
  out.action = Action::answer_refused;
  out.reference = created->second;
  for (auto l : split(problems, '\n')) out.lines.emplace_back(l);
  return out;
}

}  // namespace

IntakeFields intake_fields(const CommandBlock& block, std::vector<std::string>& unknown) {
  IntakeFields f;
  for (const auto& c : block.commands) {
    switch (c.key) {
      case CommandKey::channel:
        f.channel = c.value;
        break;
      case CommandKey::requester:
        f.requester = c.value;
        break;
      case CommandKey::email:
        f.email = c.value;
        break;
      case CommandKey::phone:
        f.phone = c.value;
        break;
      case CommandKey::postal:
        f.postal = c.value;
        break;
      case CommandKey::subject:
        f.subject = c.value;
        break;
      case CommandKey::received_on:
        f.received_on = c.value;
        break;
      default:
        unknown.push_back(c.written);
        break;
    }
  }
  f.text = std::string(trim(block.rest));
  return f;
}

Result<Intake> check_intake(const IntakeFields& f, std::int64_t now) {
  std::vector<std::string> problems;
  Intake in;
  if (trim(f.channel).empty())
    problems.push_back("Canal : manquant (t\xC3\xA9l\xC3\xA9phone, guichet ou courrier)");
  else if (auto c = channel_of(f.channel))
    in.channel = *c;
  else
    problems.push_back("Canal : \xC2\xAB " + f.channel +
                       " \xC2\xBB n'est pas t\xC3\xA9l\xC3\xA9phone, guichet ni courrier");
  in.requester.name = std::string(trim(f.requester));
  if (in.requester.name.empty())
    problems.push_back("Demandeur : manquant (le nom de la personne, par exemple Mme Sophie Seccotine)");
  const std::string email = to_lower(trim(f.email));
  if (!email.empty()) {
    if (mail::valid_address(email))
      in.requester.address = email;
    else
      problems.push_back("Courriel : \xC2\xAB " + std::string(trim(f.email)) +
                         " \xC2\xBB n'est pas une adresse \xC3\xA9lectronique");
  }
  in.phone = std::string(trim(f.phone));
  in.postal = std::string(trim(f.postal));
  in.text = std::string(trim(f.text));
  in.subject = std::string(trim(f.subject));
  if (in.subject.empty()) {
    // The first line of the text, else what it is.
    const std::string first(trim(split(in.text, '\n').front()));
    in.subject = !first.empty() && first.size() <= 120
                     ? first
                     : std::string("Demande re\xC3\xA7ue ") + received_words(store::name(in.channel));
  }
  const calendar::Date today = calendar::local_date(now);
  in.received_at = now;
  if (!trim(f.received_on).empty()) {
    auto d = calendar::parse_french_date(f.received_on, today);
    if (!d) {
      problems.push_back("Re\xC3\xA7u le : \xC2\xAB " + std::string(trim(f.received_on)) +
                         " \xC2\xBB n'est pas une date (par exemple 12/11/2026, hier, 12 novembre)");
    } else if (*d > today) {
      problems.push_back("Re\xC3\xA7u le : le " + calendar::french_date(*d) + " n'est pas encore arriv\xC3\xA9");
    } else if (*d < today) {
      in.received_at = from_local(d->year, d->month, d->day, 12);
    }
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p;
    return Error{Errc::data, all};
  }
  return in;
}

std::string compose_intake_mail(const IntakeFields& f, const directory::Agent& agent, const std::string& intake_address,
                                const std::vector<mail::OutgoingAttachment>& attachments, std::int64_t now) {
  std::string body;
  auto line = [&](CommandKey key, const std::string& value) {
    if (!trim(value).empty()) body += std::string(command_label(key)) + " : " + std::string(trim(value)) + "\n";
  };
  line(CommandKey::channel, f.channel);
  line(CommandKey::requester, f.requester);
  line(CommandKey::email, f.email);
  line(CommandKey::phone, f.phone);
  line(CommandKey::postal, f.postal);
  line(CommandKey::subject, f.subject);
  line(CommandKey::received_on, f.received_on);
  body += "\n" + f.text + "\n";
  mail::Outgoing out;
  out.from = mail::Address{agent.first_name + " " + agent.last_name, agent.email};
  out.to = mail::Address{"", intake_address};
  out.subject =
      trim(f.subject).empty() ? std::string("Demande re\xC3\xA7ue hors courriel") : std::string(trim(f.subject));
  const auto at = intake_address.rfind('@');
  out.message_id = mail::new_message_id(at == std::string::npos ? "guichet.invalid" : intake_address.substr(at + 1));
  out.date = now;
  out.body = body;
  out.attachments = attachments;
  auto raw = mail::compose(out);
  // The agent's address and the intake address come from the directory and the configuration,
  // both checked when loaded: compose() refusing them is our bug.
  if (!raw) throw std::logic_error("intake mail: " + raw.error().message);
  return *raw;
}

std::string intake_address(const std::string& mailbox_address, const std::string& mailbox, const std::string& agent,
                           const IngestOptions& options) {
  const tokens::Token t{tokens::Kind::intake, mailbox, agent, 0};
  return tokens::reply_address(mailbox_address, options.agents.separator, t, options.agents.token_key);
}

Result<Outcome> ingest_intake(store::Store& store, const Incoming& in, const directory::Agent& agent,
                              const IngestOptions& options, Outcome out) {
  const std::int64_t now = in.now;
  const mail::Unquoted own = mail::strip_quotes(in.m.text);
  const CommandBlock block = parse_command_block(own.text, true);
  std::vector<std::string> unknown;
  const IntakeFields fields = intake_fields(block, unknown);
  auto intake = check_intake(fields, now);
  std::string problems = intake ? std::string() : intake.error().message;
  for (const auto& u : unknown)
    problems +=
        (problems.empty() ? "" : "\n") + u + " : ne sert pas \xC3\xA0 enregistrer une demande (retirez la ligne)";
  if (!problems.empty()) return refuse_intake(store, in, agent, problems, options, std::move(out));

  const mail::Message m = resident_view(*intake, in.m, options);
  auto routed = route(store, m, options, intake->received_at);
  if (!routed) return routed.error();
  store::NewRequest req;
  req.subject = intake->subject;
  req.requester = intake->requester;
  req.received_at = intake->received_at;
  req.year = calendar::local_date(intake->received_at).year;
  req.mailbox = options.mailbox;
  req.channel = intake->channel;
  req.requester_phone = intake->phone;
  req.requester_postal = intake->postal;
  req.department = routed->department;
  req.routing = routed->routing;
  req.response_due_on = response_due_on(req.department, intake->received_at, options);
  auto created = store.create_request(req, now);
  if (!created) return created.error();
  const std::int64_t request_id = created->first;
  if (!intake->requester.address.empty()) {
    if (auto r = store.add_participant(request_id, intake->requester, "requester"); !r) return r.error();
  }
  out.matched_by += "; recorded " + std::string(store::name(intake->channel)) + " by " + agent.id;
  auto row = record_message(store, in, request_id, store::MessageRole::resident, agent.id, out.matched_by, false);
  if (!row) return row.error();
  const nlohmann::json detail{{"mailbox", in.source.mailbox},
                              {"matched_by", out.matched_by},
                              {"department", req.department.value_or("")},
                              {"agent", req.routing.agent.value_or("")},
                              {"rules", req.routing.rules},
                              {"channel", store::name(intake->channel)},
                              {"recorded_by", agent.id}};
  if (auto e = store.add_event(request_id, *row, now, agent.id, "created", dump_json(detail)); !e) return e.error();
  NewRequestMail mail{request_id, created->second, intake->received_at, false};
  mail.hand_to = &agent;
  mail.channel = store::name(intake->channel);
  if (auto q = queue_for_new_request(store, m, *routed, mail, options, now); !q) return q.error();
  out.kind = Decision::Kind::new_request;
  out.action = Action::created;
  out.reference = created->second;
  out.subject = intake->subject;
  out.from = intake->requester;
  out.department = req.department;
  out.agent = req.routing.agent;
  out.rules = req.routing.rules;
  spdlog::info("{}: {} recorded {} request {} for {}", options.mailbox, agent.id, store::name(intake->channel),
               created->second, intake->requester.name);
  return out;
}

}  // namespace guichet::engine

namespace guichet::engine {

Result<Outcome> record_request(store::Store& store, IngestOptions options, const IntakeFields& f,
                               const directory::Agent& agent, const std::vector<mail::OutgoingAttachment>& attachments,
                               const std::string& where, const Clock& clock) {
  if (auto checked = check_intake(f, clock.now()); !checked) return checked.error();
  const std::string& box = options.outgoing.mailbox_address;
  if (!mail::valid_address(box))
    return make_error(Errc::config, "mailbox " + options.mailbox + " has no address: set its address in guichet.yaml");
  if (options.agents.token_key.empty()) return make_error(Errc::software, "no token key to record a request with");
  const std::string raw =
      compose_intake_mail(f, agent, intake_address(box, options.mailbox, agent.id, options), attachments, clock.now());
  options.agents.recorded_by = agent.id;
  store::Source source;
  source.mailbox = options.mailbox;
  source.location = where;
  auto out = ingest(store, raw, source, options, clock);
  if (!out) return out;
  if (out->action != Action::created)
    return make_error(Errc::software, "the request recorded for " + agent.id + " was not created: " + out->matched_by);
  return out;
}

}  // namespace guichet::engine
