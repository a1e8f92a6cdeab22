#include "engine/agent_mail.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "engine/actions.h"
#include "engine/commands.h"
#include "engine/intake.h"
#include "engine/letters.h"
#include "engine/outbox.h"
#include "mail/address.h"
#include "mail/quote.h"
#include "util/json.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::engine {

namespace {

using store::RequestInfo;

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : to_lower(address.substr(at + 1));
}

// The property value of `prop` ("smtp.mailfrom=…") in one result of Authentication-Results.
std::string property(std::string_view result, std::string_view prop) {
  const std::string lower = to_lower(result);
  size_t pos = lower.find(std::string(prop) + "=");
  if (pos == std::string::npos) return "";
  pos += prop.size() + 1;
  size_t end = pos;
  while (end < lower.size() && lower[end] != ' ' && lower[end] != ';' && lower[end] != '\t') ++end;
  std::string v = lower.substr(pos, end - pos);
  if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() > 1 ? v.size() - 2 : 0);
  return v;
}

bool domain_matches(const std::string& value, const std::string& domain) {
  const std::string d = value.find('@') != std::string::npos ? domain_of(value) : value;
  return !d.empty() && (d == domain || (domain.size() > d.size() && domain.compare(domain.size() - d.size(), d.size(), d) == 0 &&
                                        domain[domain.size() - d.size() - 1] == '.'));
}

Result<RequestInfo> summary(store::Store& store, std::int64_t id) {
  auto r = store.request_summary(id);
  if (!r) return r.error();
  if (!*r) return make_error(Errc::software, "request " + std::to_string(id) + " vanished");
  return std::move(**r);
}

templates::Data agent_data(const directory::Agent& a) {
  templates::Data d;
  d.set("first_name", a.first_name);
  d.set("last_name", a.last_name);
  d.set("title", a.title);
  d.set("address", a.address);
  d.set("email", a.email);
  return d;
}

// A mail to the agent about their mail: a receipt, a refusal, a held answer, an empty answer.
Result<void> tell_agent(store::Store& store, const RequestInfo& r, const directory::Agent& agent, const char* name,
                        const std::string& subject, const std::function<void(templates::Data&)>& more,
                        std::optional<tokens::Token> reply, const IngestOptions& options, std::int64_t now) {
  if (!options.outgoing.enabled) return {};
  auto body = render_letter(name, r, options, [&](templates::Data& d) {
    d.set("agent", agent_data(agent));
    if (more) more(d);
  });
  if (!body) return body.error();
  ToAgent m;
  m.kind = store::OutboxKind::receipt;
  m.subject = subject;
  m.body = std::move(*body);
  m.reply = std::move(reply);
  auto sent = mail_agent(store, r, agent, std::move(m), options, now);
  if (!sent) return sent.error();
  return {};
}

Result<void> receipt(store::Store& store, const RequestInfo& r, const directory::Agent& agent,
                     const std::vector<std::string>& lines, const std::string& reason, const IngestOptions& options,
                     std::int64_t now) {
  return tell_agent(
      store, r, agent, templates::kCommandsReceipt, "Vos commandes",
      [&](templates::Data& d) {
        kainjow::mustache::list items;
        for (const auto& l : lines) {
          templates::Data item;
          item.set("text", l);
          items.push_back(item);
        }
        d.set("lines", items);
        d.set("reason", reason);
      },
      answer_token(r, agent), options, now);
}

std::vector<mail::OutgoingAttachment> attachments_of(const mail::Message& m) {
  std::vector<mail::OutgoingAttachment> out;
  for (const auto& a : m.attachments) out.push_back({a.filename, a.content_type, a.content});
  return out;
}

struct Relay {
  const directory::Agent* agent;
  std::string text;
  std::int64_t message_row;
  std::int64_t version_seen;  // the answer version the agent's token carried
  bool status_given;          // a "Statut :" command decided the status already
};

// Relays the answer to the resident, or holds it when a colleague answered since the token was
// written (the request's answer version is newer than the token's).
Result<Action> relay_or_hold(store::Store& store, const RequestInfo& r, const Incoming& in, const Relay& relay,
                             const IngestOptions& options, std::int64_t now) {
  const directory::Agent& agent = *relay.agent;
  const bool held = relay.version_seen < r.answer_version;
  auto body = render_letter(templates::kAgentAnswer, r, options, [&](templates::Data& d) {
    d.set("answer", relay.text);
    // L111-2: the agent who answers is named, unless marked anonymous (the service alone then).
    if (agent.anonymous)
      d.set("agent", false);
    else
      d.set("agent", agent_data(agent));
  });
  if (!body) return body.error();
  ToResident mail;
  mail.kind = store::OutboxKind::answer;
  mail.body = std::move(*body);
  mail.attachments = attachments_of(in.m);
  mail.auto_submitted = "";  // a person's answer, not an automatic one
  mail.status = held ? store::OutboxStatus::held : store::OutboxStatus::queued;
  auto sent = mail_resident(store, r, std::move(mail), options, now);
  if (!sent) return sent.error();
  store::AnswerInfo a;
  a.message_row = relay.message_row;
  a.outbox_id = sent->outbox_id;
  a.agent = agent.id;
  a.agent_address = to_lower(in.m.from.front().address);
  a.how = store::name(held ? store::AnswerHow::held : store::AnswerHow::relayed);
  a.version = held ? r.answer_version : r.answer_version + 1;
  a.at = now;
  if (auto id = store.add_answer(r.id, a); !id) return id.error();
  nlohmann::json detail{{"agent", agent.id}, {"outbox", sent->outbox_id.value_or(0)}, {"version_seen", relay.version_seen},
                        {"answer_version", r.answer_version}};
  if (held) {
    if (auto e = store.add_event(r.id, relay.message_row, now, agent.id, "answer_held", dump_json(detail)); !e)
      return e.error();
    // The colleague's answer, and a one-line way to send this one anyway.
    auto full = store.request(r.reference);
    if (!full) return full.error();
    std::string colleague = "un(e) coll\xC3\xA8gue", when, text;
    for (const auto& ans : (*full)->answers) {
      if (ans.how == "held" || ans.version != r.answer_version) continue;
      if (ans.agent && options.directory)
        if (const auto* c = options.directory->agent(*ans.agent)) colleague = c->first_name + " " + c->last_name;
      if (!ans.agent_address.empty() && colleague.rfind("un(e)", 0) == 0) colleague = ans.agent_address;
      when = calendar::french_date_time(ans.at).substr(3);
      for (const auto& msg : (*full)->messages)
        if (ans.message_row && msg.id == *ans.message_row) text = mail::strip_quotes(msg.text).text;
    }
    auto told = tell_agent(
        store, r, agent, templates::kAnswerHeld, "R\xC3\xA9ponse retenue",
        [&](templates::Data& d) {
          templates::Data c;
          c.set("name", colleague);
          c.set("date", when);
          c.set("text", text.empty() ? std::string("(r\xC3\xA9ponse enregistr\xC3\xA9" "e sans texte)") : text);
          d.set("colleague", c);
        },
        tokens::Token{tokens::Kind::send, r.reference, agent.id, sent->outbox_id.value_or(0)}, options, now);
    if (!told) return told.error();
    return Action::answer_held;
  }
  store::RequestChanges c;
  c.answered_at = now;
  if (!relay.status_given) c.status = store::RequestStatus::answered;
  if (auto u = store.update_request(r.id, c, now); !u) return u.error();
  if (auto e = store.add_event(r.id, relay.message_row, now, agent.id, "answer_relayed", dump_json(detail)); !e)
    return e.error();
  return Action::answer_relayed;
}

// "ENVOYER" to a held answer's token: the answer goes after all.
Result<Action> release(store::Store& store, const RequestInfo& r, const directory::Agent& agent, std::int64_t outbox_id,
                       std::int64_t message_row, const IngestOptions& options, std::int64_t now,
                       std::vector<std::string>& lines) {
  auto row = store.outbox().get(outbox_id);
  if (!row) return row.error();
  if (!*row || (*row)->request_id != r.id || (*row)->status != store::OutboxStatus::held) {
    lines.push_back("ENVOYER : refus\xC3\xA9 : cette r\xC3\xA9ponse n'est plus retenue (d\xC3\xA9j\xC3\xA0 envoy\xC3\xA9" "e ?)");
    if (auto t = receipt(store, r, agent, lines, "", options, now); !t) return t.error();
    return Action::commands;
  }
  auto done = store.outbox().release(outbox_id, now, now + static_cast<std::int64_t>(options.outgoing.retry_hours) * 3600);
  if (!done) return done.error();
  store::AnswerInfo a;
  a.message_row = message_row;
  a.outbox_id = outbox_id;
  a.agent = agent.id;
  a.agent_address = agent.email;
  a.how = store::name(store::AnswerHow::released);
  a.version = r.answer_version + 1;
  a.at = now;
  if (auto id = store.add_answer(r.id, a); !id) return id.error();
  store::RequestChanges c;
  c.answered_at = now;
  c.status = store::RequestStatus::answered;
  if (auto u = store.update_request(r.id, c, now); !u) return u.error();
  if (auto e = store.add_event(r.id, message_row, now, agent.id, "answer_released",
                               dump_json(nlohmann::json{{"outbox", outbox_id}}));
      !e)
    return e.error();
  lines.push_back("ENVOYER : fait : votre r\xC3\xA9ponse est envoy\xC3\xA9" "e au demandeur");
  if (auto t = receipt(store, r, agent, lines, "", options, now); !t) return t.error();
  return Action::answer_released;
}

bool is_send_word(const std::string& text) {
  const std::string f = fold_text(text);
  return f.rfind("envoyer", 0) == 0 || f.rfind("send", 0) == 0;
}

}  // namespace

std::optional<std::string> not_from_agent(const mail::Message& m, const directory::Agent& agent,
                                          const std::string& trusted_authserv_id) {
  if (m.from.empty()) return std::string("le courriel n'a pas d'exp\xC3\xA9" "diteur");
  const std::string from = to_lower(m.from.front().address);
  bool known = iequals(from, agent.email);
  for (const auto& alias : agent.aliases) known = known || iequals(from, alias);
  if (!known)
    return "l'exp\xC3\xA9" "diteur " + from + " n'est pas " + agent.first_name + " " + agent.last_name +
           " (ni son adresse ni un de ses alias dans l'annuaire)";
  if (trusted_authserv_id.empty()) return std::nullopt;
  // The topmost Authentication-Results is the town's server's own, when it adds one.
  const std::string& ar = m.authentication_results;
  const auto parts = split(ar, ';');
  const std::string id = parts.empty() ? std::string() : to_lower(std::string(trim(parts[0])));
  if (id.empty() || (id != to_lower(trusted_authserv_id) && id.rfind(to_lower(trusted_authserv_id) + " ", 0) != 0))
    return "le serveur de la mairie (" + trusted_authserv_id + ") n'a pas authentifi\xC3\xA9 ce courriel";
  const std::string domain = domain_of(from);
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string r = to_lower(std::string(trim(parts[i])));
    if (r.rfind("spf=pass", 0) == 0 && domain_matches(property(r, "smtp.mailfrom"), domain)) return std::nullopt;
    if (r.rfind("dkim=pass", 0) == 0 &&
        (domain_matches(property(r, "header.d"), domain) || domain_matches(property(r, "header.i"), domain)))
      return std::nullopt;
    if (r.rfind("dmarc=pass", 0) == 0 && domain_matches(property(r, "header.from"), domain)) return std::nullopt;
  }
  return "le serveur de la mairie ne confirme ni SPF ni DKIM pour " + from;
}

Result<Outcome> ingest_agent_mail(store::Store& store, const Incoming& in, const std::vector<tokens::Found>& found,
                                  const IngestOptions& options, Outcome out) {
  const mail::Message& m = in.m;
  const std::int64_t now = in.now;
  const tokens::Found* tok = nullptr;
  for (const auto& f : found)
    if (f.authentic && !tok) tok = &f;
  std::optional<std::string> refusal;
  if (!tok) {
    tok = &found.front();
    refusal = "le jeton de r\xC3\xA9ponse (" + tok->where + ") n'est pas authentique : il a \xC3\xA9t\xC3\xA9 modifi\xC3\xA9 ou ne vient pas de guichet";
  }
  const tokens::Token& token = tok->token;
  out.matched_by = "token:" + std::string(1, static_cast<char>(token.kind)) + "." + token.subject + " (" + tok->where + ")";
  const directory::Directory* dir = options.directory;
  const directory::Agent* agent = dir ? dir->agent(token.agent) : nullptr;

  // A call, a visit or a letter recorded by the agent the token names, From that agent (or composed
  // by guichet itself for them: `guichet new`, the web view, which authenticated them).
  if (token.kind == tokens::Kind::intake && !refusal) {
    if (!agent)
      refusal = "le jeton nomme un agent inconnu de l'annuaire (" + token.agent + ")";
    else if (options.agents.recorded_by != agent->id)
      refusal = not_from_agent(m, *agent, options.agents.trusted_authserv_id);
    if (!refusal) return ingest_intake(store, in, *agent, options, std::move(out));
  }

  // The request the token names; an unknown one (a typo, a purged request) keeps the mail apart.
  std::optional<RequestInfo> target;
  if (token.kind != tokens::Kind::intake) {
    auto r = store.request_summary(token.subject);
    if (!r) return r.error();
    target = std::move(*r);
  }
  if (!target) {
    auto created = keep_apart(store, in, options.mailbox);
    if (!created) return created.error();
    const std::string reason = token.kind == tokens::Kind::intake
                                   ? refusal.value_or("enregistrement refus\xC3\xA9")
                                   : "la demande " + token.subject + " n'existe pas (ou plus)";
    auto row = record_message(store, in, created->first, store::MessageRole::refused, std::nullopt, out.matched_by, false);
    if (!row) return row.error();
    if (auto e = store.add_event(created->first, *row, now, "guichet", "answer_refused",
                                 dump_json(nlohmann::json{{"reason", reason}, {"token", token.subject}}));
        !e)
      return e.error();
    out.kind = Decision::Kind::new_request;
    out.action = Action::answer_refused;
    out.reference = created->second;
    out.lines = {reason};
    spdlog::warn("{}: mail with a token for an unknown request {} kept apart as {}", options.mailbox, token.subject,
                 created->second);
    return out;
  }
  out.kind = Decision::Kind::attach;
  out.reference = target->reference;

  // An out-of-office or a bounce answering a notice: kept, never relayed, nobody told (no loop).
  if (m.auto_submitted || m.bounce || m.list || (m.return_path && m.return_path->empty()) ||
      m.x_loop.find("guichet@") != std::string::npos) {
    auto row = record_message(store, in, target->id, store::MessageRole::machine, std::nullopt, out.matched_by, false);
    if (!row) return row.error();
    const std::string why = machine_reason(m, {}).value_or("automatic");
    if (auto e = store.add_event(target->id, *row, now, "guichet", "machine_reply", dump_json(nlohmann::json{{"reason", why}}));
        !e)
      return e.error();
    out.action = Action::machine;
    return out;
  }
  if (!refusal && !agent) refusal = "le jeton nomme un agent inconnu de l'annuaire (" + token.agent + ")";
  if (!refusal) refusal = not_from_agent(m, *agent, options.agents.trusted_authserv_id);
  // The mail answers another request than the one its token names.
  if (!refusal) {
    const auto& d = in.decision;
    std::optional<std::string> named;
    if (d.kind == Decision::Kind::attach && d.request && d.request->id != target->id) named = d.request->reference;
    if (d.linked_to && d.linked_to->id != target->id) named = d.linked_to->reference;
    if (named)
      refusal = "le jeton est celui de la demande " + target->reference + " mais le courriel r\xC3\xA9pond \xC3\xA0 la demande " + *named;
  }
  if (!refusal && !may_steer(*dir, *agent, *target))
    refusal = agent->first_name + " " + agent->last_name + " n'est plus charg\xC3\xA9(e) de cette demande (service " +
              target->department.value_or("?") + ")";
  if (refusal) {
    auto row = record_message(store, in, target->id, store::MessageRole::refused, std::nullopt, out.matched_by, false);
    if (!row) return row.error();
    if (auto e = store.add_event(target->id, *row, now, "guichet", "answer_refused",
                                 dump_json(nlohmann::json{{"reason", *refusal},
                                                          {"from", m.from.empty() ? "" : m.from.front().address},
                                                          {"token_agent", token.agent}}));
        !e)
      return e.error();
    // The real agent hears of it: the one the token names, else the one in charge.
    const directory::Agent* told = agent ? agent : (dir && target->agent ? dir->agent(*target->agent) : nullptr);
    if (told) {
      if (auto t = tell_agent(store, *target, *told, templates::kAnswerRefused, "R\xC3\xA9ponse non transmise",
                              [&](templates::Data& d) { d.set("reason", *refusal); }, std::nullopt, options, now);
          !t)
        return t.error();
    }
    spdlog::warn("{}: mail for {} refused: {}", options.mailbox, target->reference, *refusal);
    out.action = Action::answer_refused;
    out.lines = {*refusal};
    return out;
  }

  // Authenticated: what the agent wrote, without the quoted notice; commands at its top.
  const mail::Unquoted own = mail::strip_quotes(m.text);
  const CommandBlock block = parse_command_block(own.text);
  Actor actor{agent, agent->id, false};
  const bool only_commands = trim(block.rest).empty();
  store::MessageRole role = store::MessageRole::answer;
  if (token.kind == tokens::Kind::note) role = store::MessageRole::note;
  else if (token.kind == tokens::Kind::send || only_commands) role = store::MessageRole::command;
  auto row = record_message(store, in, target->id, role, agent->id, out.matched_by, false);
  if (!row) return row.error();

  if (token.kind == tokens::Kind::send) {
    if (!is_send_word(own.text)) {
      out.lines = {"r\xC3\xA9pondez par le seul mot ENVOYER pour envoyer la r\xC3\xA9ponse retenue"};
      if (auto t = receipt(store, *target, *agent, out.lines, "", options, now); !t) return t.error();
      out.action = Action::commands;
      return out;
    }
    auto a = release(store, *target, *agent, token.number, *row, options, now, out.lines);
    if (!a) return a.error();
    out.action = *a;
    return out;
  }

  bool status_given = false;
  if (!block.commands.empty()) {
    auto results = apply_commands(store, block.commands, *target, actor, options, *row, now);
    if (!results) return results.error();
    bool all_ok = true;
    for (const auto& res : *results) {
      all_ok = all_ok && res.ok;
      status_given = status_given || res.key == CommandKey::status;
      out.lines.push_back(res.written + " : " + res.value + " \xE2\x80\x94 " + res.text);
    }
    std::string reason;
    if (!all_ok) {
      reason = "Aucune commande de ce courriel n'a \xC3\xA9t\xC3\xA9 appliqu\xC3\xA9" "e.";
      if (!only_commands && token.kind == tokens::Kind::answer)
        reason += " Votre r\xC3\xA9ponse n'a pas \xC3\xA9t\xC3\xA9 transmise au demandeur : corrigez les commandes et renvoyez-la.";
    }
    if (auto e = store.add_event(target->id, *row, now, agent->id, all_ok ? "commands_applied" : "commands_refused",
                                 dump_json(nlohmann::json{{"lines", out.lines}}));
        !e)
      return e.error();
    if (auto t = receipt(store, *target, *agent, out.lines, reason, options, now); !t) return t.error();
    out.action = Action::commands;
    if (!all_ok) return out;
  }
  auto current = summary(store, target->id);
  if (!current) return current.error();
  if (token.kind == tokens::Kind::note) {
    if (!only_commands) {
      if (auto e = store.add_event(target->id, *row, now, agent->id, "note",
                                   dump_json(nlohmann::json{{"text", std::string(trim(block.rest))}}));
          !e)
        return e.error();
    }
    out.action = Action::note;
    return out;
  }
  if (only_commands) {
    if (block.commands.empty()) {
      // Nothing of their own: nothing is sent, and they are told.
      if (auto e = store.add_event(target->id, *row, now, agent->id, "answer_empty", "{}"); !e) return e.error();
      if (auto t = tell_agent(store, *current, *agent, templates::kAnswerEmpty, "R\xC3\xA9ponse vide", {},
                              answer_token(*current, *agent), options, now);
          !t)
        return t.error();
      out.action = Action::answer_empty;
    }
    return out;
  }
  Relay relay{agent, block.rest, *row, token.number, status_given};
  auto action = relay_or_hold(store, *current, in, relay, options, now);
  if (!action) return action.error();
  out.action = *action;
  return out;
}

}  // namespace guichet::engine
