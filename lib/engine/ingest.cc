#include "engine/ingest.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "engine/actions.h"
#include "engine/agent_mail.h"
#include "engine/clocks.h"
#include "engine/deadlines.h"
#include "engine/incoming.h"
#include "engine/outbox.h"
#include "engine/route.h"
#include "mail/date.h"
#include "tokens/tokens.h"
#include "util/json.h"
#include "util/local_time.h"
#include "util/strings.h"

namespace guichet::engine {

const char* action_name(Action a) {
  switch (a) {
    case Action::created: return "created";
    case Action::attached: return "attached";
    case Action::duplicate: return "duplicate";
    case Action::answer_relayed: return "answer_relayed";
    case Action::answer_held: return "answer_held";
    case Action::answer_released: return "answer_released";
    case Action::answer_recorded: return "answer_recorded";
    case Action::answer_refused: return "answer_refused";
    case Action::answer_empty: return "answer_empty";
    case Action::commands: return "commands";
    case Action::note: return "note";
    case Action::machine: return "machine";
    case Action::skipped: return "skipped";
  }
  return "?";
}

Result<std::pair<std::int64_t, std::string>> keep_apart(store::Store& store, const Incoming& in,
                                                        const std::string& mailbox) {
  store::NewRequest req;
  req.kind = store::RequestKind::machine;
  req.subject = in.m.subject;
  req.requester = in.m.from.empty() ? mail::Address{} : in.m.from.front();
  req.received_at = in.arrived;
  req.year = local_time(in.arrived).year;
  req.mailbox = mailbox;
  return store.create_request(req, in.now);
}

Result<std::int64_t> record_message(store::Store& store, const Incoming& in, std::int64_t request_id,
                                    store::MessageRole role, const std::optional<std::string>& agent,
                                    const std::string& matched_by, bool participant) {
  const mail::Message& m = in.m;
  auto raw_id = in.stored ? store.put_raw(in.raw, m, *in.stored) : store.put_raw(in.raw, m);
  if (!raw_id) return raw_id.error();
  store::NewMessage nm{request_id, *raw_id, in.hash, in.arrived, matched_by, in.keys, role, agent};
  auto row = store.add_message(nm, m, in.now);
  if (!row) return row.error();
  if (auto r = store.add_source(*row, in.source, in.now); !r) return r.error();
  std::vector<std::string> referenced = m.in_reply_to;
  referenced.insert(referenced.end(), m.references.begin(), m.references.end());
  if (auto r = store.add_thread_ids(request_id, m.message_id, referenced); !r) return r.error();
  if (participant) {
    for (const auto& cc : m.cc) {
      if (auto r = store.add_participant(request_id, cc, "copy"); !r) return r.error();
    }
  }
  return *row;
}

namespace {

bool addressed_to(const mail::Message& m, const std::string& address) {
  for (const auto* list : {&m.to, &m.cc})
    for (const auto& a : *list)
      if (iequals(a.address, address)) return true;
  return false;
}

// An answer that went around guichet: an agent writing to the resident with the shared address
// in copy, or the shared mailbox's Sent folder. Recorded; nothing is sent again.
Result<void> record_direct_answer(store::Store& store, const store::RequestInfo& r, std::int64_t row,
                                  const directory::Agent* agent, const std::string& address, store::AnswerHow how,
                                  std::int64_t now) {
  store::AnswerInfo a;
  a.message_row = row;
  if (agent) a.agent = agent->id;
  a.agent_address = to_lower(address);
  a.how = store::name(how);
  a.version = r.answer_version + 1;
  a.at = now;
  if (auto id = store.add_answer(r.id, a); !id) return id.error();
  store::RequestChanges c;
  c.answered_at = now;
  c.status = store::RequestStatus::answered;
  if (auto u = store.update_request(r.id, c, now); !u) return u;
  return store.add_event(r.id, row, now, agent ? agent->id : address, "answer_recorded",
                         dump_json(nlohmann::json{{"how", a.how}, {"from", a.agent_address}}));
}

// The Sent folder of a shared mailbox: guichet's own mail is skipped (by its Message-ID), an
// answer to a resident is recorded on its request, anything else is none of guichet's business.
Result<Outcome> ingest_sent(store::Store& store, const Incoming& in, const IngestOptions& options, Outcome out) {
  const mail::Message& m = in.m;
  if (!m.message_id.empty()) {
    auto ours = store.outbox().find(m.message_id);
    if (!ours) return ours.error();
    if (*ours) {
      out.action = Action::skipped;
      out.matched_by = "guichet's own mail";
      return out;
    }
  }
  const auto& d = in.decision;
  if (d.kind != Decision::Kind::attach || !d.request) {
    out.action = Action::skipped;
    out.matched_by = "no request";
    return out;
  }
  auto r = store.request_summary(d.request->id);
  if (!r) return r.error();
  if (!*r) return make_error(Errc::software, "request vanished");
  if (!addressed_to(m, (*r)->requester.address)) {
    out.action = Action::skipped;
    out.matched_by = "not to the requester of " + (*r)->reference;
    return out;
  }
  const std::string from = m.from.empty() ? std::string() : m.from.front().address;
  const directory::Agent* agent = options.directory ? options.directory->agent_by_address(from) : nullptr;
  auto row = record_message(store, in, (*r)->id, store::MessageRole::answer, agent ? std::optional(agent->id) : std::nullopt,
                            "sent-folder, " + d.matched_by, false);
  if (!row) return row.error();
  if (auto a = record_direct_answer(store, **r, *row, agent, from, store::AnswerHow::sent_folder, in.now); !a)
    return a.error();
  out.action = Action::answer_recorded;
  return out;
}

// ingest()'s work once the mail is parsed, wherever that was done.
Result<Outcome> ingest_parsed(store::Store& store, Incoming& in, const store::Source& where,
                              const IngestOptions& options, const Clock& clock) {
  mail::Message& m = in.m;
  in.source = where;
  if (in.source.recipient.empty()) in.source.recipient = to_lower(m.delivered_to);
  in.now = clock.now();
  const std::int64_t now = in.now;
  in.arrived = mail::received_at(m, now);
  const std::int64_t arrived = in.arrived;
  // Windows count from when the mail arrived, so an import of old mail threads as it did live.
  auto found = threading::look_up(store, m, in.hash, in.keys, options.threading, arrived);
  if (!found) return found.error();
  in.decision = threading::decide(m, in.hash, *found, options.threading, arrived);
  const Decision& d = in.decision;
  for (const auto& n : d.notes) m.problems.push_back(n);

  Outcome out;
  out.kind = d.kind;
  out.action = d.kind == Decision::Kind::duplicate ? Action::duplicate
               : d.kind == Decision::Kind::attach  ? Action::attached
                                                   : Action::created;
  out.message_id = m.message_id;
  out.subject = m.subject;
  out.from = m.from.empty() ? mail::Address{} : m.from.front();
  out.matched_by = d.matched_by;
  out.problems = m.problems;
  out.relance = d.relance;
  out.reopened = d.reopen;
  if (d.existing) out.reference = d.existing->reference;
  if (d.request) out.reference = d.request->reference;
  if (d.linked_to) out.linked_to = d.linked_to->reference;
  if (options.dry_run) return out;

  // A copy of a stored mail (a command mail replayed too): one more source, nothing applies twice.
  if (d.kind == Decision::Kind::duplicate) {
    if (auto r = store.add_source(d.existing->id, in.source, now); !r) return r.error();
    nlohmann::json detail{{"mailbox", in.source.mailbox},
                          {"location", in.source.location},
                          {"recipient", in.source.recipient},
                          {"matched_by", d.matched_by}};
    if (auto r = store.add_event(d.existing->request_id, d.existing->id, now, "guichet", "duplicate", dump_json(detail)); !r)
      return r.error();
    return out;
  }
  if (options.sent_folder) return ingest_sent(store, in, options, std::move(out));
  // A reply token: an agent's answer, commands or note (engine/agent_mail.h).
  if (!options.agents.token_key.empty()) {
    auto tokens = tokens::find(m, options.agents.token_key, options.agents.separator);
    if (!tokens.empty()) return ingest_agent_mail(store, in, tokens, options, std::move(out));
  }

  std::optional<store::RequestInfo> target;
  if (d.kind == Decision::Kind::attach) {
    auto r = store.request_summary(d.request->id);
    if (!r) return r.error();
    target = std::move(*r);
  }
  const std::optional<std::string> automatic = automatic_reason(m);
  // A person writing into machine mail kept apart (answering a bounce, a newsletter) is not hidden
  // with it: a request of its own, linked to that mail.
  if (target && target->kind == store::name(store::RequestKind::machine) && !automatic) {
    in.decision.linked_to = in.decision.request;
    in.decision.request.reset();
    in.decision.kind = Decision::Kind::new_request;
    in.decision.relance = in.decision.reopen = false;
    in.decision.matched_by += "; written by a person into machine mail " + target->reference + ": a request";
    out.kind = d.kind;
    out.action = Action::created;
    out.matched_by = d.matched_by;
    out.relance = out.reopened = false;
    out.linked_to = target->reference;
    target.reset();
  }

  std::int64_t request_id = 0;
  std::optional<Routed> routed_new;
  if (d.kind == Decision::Kind::attach) {
    request_id = d.request->id;
  } else {
    store::NewRequest req;
    req.subject = m.subject;
    req.requester = out.from;
    req.received_at = arrived;
    req.year = local_time(arrived).year;
    req.mailbox = options.mailbox;
    if (automatic) {
      // Machine mail that threads nowhere: kept, findable (`list --machine`), never acknowledged,
      // counted nowhere, routed to nobody; `guichet promote` makes it a request if a person
      // decides it is one.
      req.kind = store::RequestKind::machine;
      out.action = Action::machine;
      out.matched_by += "; kept apart: " + *automatic;
    } else {
      if (d.linked_to) req.linked_to = d.linked_to->id;
      auto routed = route(store, m, options, arrived);
      if (!routed) return routed.error();
      req.department = routed->department;
      req.routing = routed->routing;
      req.response_due_on = response_due_on(req.department, arrived, options);
      out.department = req.department;
      out.agent = req.routing.agent;
      out.rules = req.routing.rules;
      routed_new = std::move(*routed);
    }
    auto created = store.create_request(req, now);
    if (!created) return created.error();
    request_id = created->first;
    out.reference = created->second;
    if (!automatic || !req.requester.address.empty()) {
      if (auto r = store.add_participant(request_id, req.requester, "requester"); !r) return r.error();
    }
  }

  // Who wrote it: an agent of the directory (answering around guichet), or a resident.
  const std::string from = m.from.empty() ? std::string() : m.from.front().address;
  const directory::Agent* agent =
      options.directory && d.kind == Decision::Kind::attach ? options.directory->agent_by_address(from) : nullptr;
  const bool direct_answer = agent && target && addressed_to(m, target->requester.address) &&
                             !not_from_agent(m, *agent, options.agents.trusted_authserv_id);
  const store::MessageRole role = direct_answer                  ? store::MessageRole::answer
                                  : out.action == Action::machine ? store::MessageRole::machine
                                                                  : store::MessageRole::resident;
  auto row = record_message(store, in, request_id, role,
                            direct_answer ? std::optional<std::string>(agent->id) : std::nullopt, d.matched_by, true);
  if (!row) return row.error();
  const std::int64_t msg_id = *row;
  if (d.kind == Decision::Kind::attach) {
    if (!m.from.empty() && !m.bounce) {
      if (auto r = store.add_participant(request_id, m.from.front(), agent ? "agent" : "copy"); !r) return r.error();
    }
    if (auto r = store.touch_request(request_id, arrived, d.relance, d.reopen, now); !r) return r.error();
  }

  nlohmann::json detail{{"mailbox", in.source.mailbox}, {"matched_by", d.matched_by}};
  const char* kind = "created";
  if (out.action == Action::machine) {
    detail["kept_apart"] = *automatic;
  } else if (d.kind == Decision::Kind::new_request) {
    detail["department"] = out.department ? *out.department : "";
    detail["agent"] = out.agent ? *out.agent : "";
    detail["rules"] = out.rules;
    if (d.linked_to) detail["linked_to"] = d.linked_to->reference;
  } else {
    kind = d.relance ? "relance" : "message_added";
  }
  if (auto r = store.add_event(request_id, msg_id, now, "guichet", kind, dump_json(detail)); !r) return r.error();
  if (d.reopen) {
    if (auto r = store.add_event(request_id, msg_id, now, "guichet", "reopened", dump_json(detail)); !r) return r.error();
  }
  if (routed_new) {
    // The acknowledgement and the agent's notice, in this same transaction (invariant 5).
    if (auto r = queue_for_new_request(store, m, *routed_new, NewRequestMail{request_id, out.reference, arrived},
                                       options, now);
        !r)
      return r.error();
  }
  if (d.bounce_of) {
    // "Accusé non délivré": the resident did not get what we sent.
    const std::string& ours = *d.bounce_of;
    auto bounced = store.outbox().mark_bounced(ours, m.subject);
    if (!bounced) return bounced.error();
    nlohmann::json b{{"message_id", ours},
                     {"kind", *bounced ? store::name((*bounced)->kind) : ""},
                     {"to", *bounced ? (*bounced)->recipient : ""}};
    if (auto r = store.add_event(request_id, msg_id, now, "guichet", "mail_bounced", dump_json(b)); !r) return r.error();
    return out;
  }
  if (direct_answer) {
    if (auto a = record_direct_answer(store, *target, msg_id, agent, from, store::AnswerHow::direct, now); !a)
      return a.error();
    out.action = Action::answer_recorded;
    return out;
  }
  // A resident chasing: the agent and the head hear of it at once (engine/deadlines.h); an old
  // relance found in an imported history is not news.
  if (d.relance && target && !agent && now - arrived < 86400) {
    auto now_state = store.request_summary(request_id);
    if (!now_state) return now_state.error();
    if (*now_state) {
      if (auto a = relance_alert(store, **now_state, options, now); !a) return a.error();
    }
  }
  // The resident writes again: the pieces that were missing, or a new question after an answer.
  if (target && !agent && !m.auto_submitted && !m.bounce) {
    if (target->suspended_since) {
      if (auto p = pieces_received(store, *target, msg_id, options, now); !p) return p.error();
    } else if (target->status == store::RequestStatus::answered || target->status == store::RequestStatus::waiting) {
      store::RequestChanges c;
      c.status = store::RequestStatus::open;
      if (auto u = store.update_request(request_id, c, now); !u) return u.error();
      if (auto e = store.add_event(request_id, msg_id, now, "guichet", "status_changed",
                                   dump_json(nlohmann::json{{"from", store::name(target->status)}, {"to", "open"}}));
          !e)
        return e.error();
    }
  }
  return out;
}

}  // namespace

Result<Outcome> ingest(store::Store& store, std::string_view raw, const store::Source& where,
                       const IngestOptions& options, const Clock& clock) {
  Incoming in;
  in.raw = raw;
  in.m = mail::parse(raw, options.limits);
  in.hash = threading::content_hash(in.m);
  in.keys = threading::message_keys(in.m);
  return ingest_parsed(store, in, where, options, clock);
}

ParsedMail parse_mail(std::string raw, const mail::ParseLimits& limits) {
  ParsedMail p;
  p.raw = std::move(raw);
  p.m = mail::parse(p.raw, limits);
  p.hash = threading::content_hash(p.m);
  p.keys = threading::message_keys(p.m);
  p.stored = store::prepare_raw(p.raw, p.m);
  return p;
}

Result<Outcome> ingest(store::Store& store, ParsedMail& mail, const store::Source& where, const IngestOptions& options,
                       const Clock& clock) {
  Incoming in;
  in.raw = mail.raw;
  in.m = std::move(mail.m);
  in.hash = std::move(mail.hash);
  in.keys = std::move(mail.keys);
  in.stored = &mail.stored;
  auto out = ingest_parsed(store, in, where, options, clock);
  mail.m = std::move(in.m);
  return out;
}

}  // namespace guichet::engine
