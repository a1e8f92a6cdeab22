#include "engine/ingest.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "calendar/calendar.h"
#include "mail/date.h"
#include "engine/outbox.h"
#include "store/outbox.h"
#include "templates/letter.h"
#include "threading/keys.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace guichet::engine {

std::string content_hash(const mail::Message& m) {
  std::string key;
  key.reserve(m.text.size() + 256);
  for (const auto& a : m.from) key += a.address + ",";
  key += '\0';
  key += m.date ? std::to_string(*m.date) : std::string();
  key += '\0';
  key += m.subject;
  key += '\0';
  key += m.text;
  key += '\0';
  for (const auto& a : m.attachments) key += a.sha256 + ",";
  return sha256_hex(key);
}

store::MessageKeys message_keys(const mail::Message& m) {
  store::MessageKeys k;
  if (!m.from.empty()) k.sender = to_lower(m.from.front().address);
  k.subject_key = threading::normalise_subject(m.subject);
  k.body_key = threading::body_key(m.text);
  k.thread_key = threading::thread_index_key(m.thread_index);
  return k;
}

namespace {

// Attaches to `target`, or, when it was closed longer ago than the reopen window, starts a new
// request linked to it.
Decision join(store::RequestState target, std::string matched_by, const ThreadingPolicy& policy, std::int64_t now) {
  Decision d;
  if (target.status == "closed") {
    if (target.closed_at && now - *target.closed_at > policy.reopen_window) {
      d.kind = Decision::Kind::new_request;
      d.linked_to = std::move(target);
      d.matched_by = "after-close:" + d.linked_to->reference + " (" + matched_by + ")";
      return d;
    }
    d.reopen = true;
  }
  d.kind = Decision::Kind::attach;
  d.request = std::move(target);
  d.matched_by = std::move(matched_by);
  return d;
}

}  // namespace

Decision decide(const mail::Message& m, const std::string& hash, const Lookups& found, const ThreadingPolicy& policy,
                std::int64_t now) {
  std::vector<std::string> notes;
  bool reused_id = false;
  if (found.by_message_id) {
    if (found.by_message_id->content_hash == hash) {
      Decision d;
      d.kind = Decision::Kind::duplicate;
      d.existing = found.by_message_id;
      d.matched_by = "message-id:" + m.message_id;
      return d;
    }
    // Same Message-ID, different mail: a broken client or a forged ID. Never merge silently.
    reused_id = true;
    notes.push_back("Message-ID " + m.message_id + " already belongs to a different mail (request " +
                    found.by_message_id->reference + ")");
  }
  auto with_notes = [&](Decision d) {
    d.notes.insert(d.notes.end(), notes.begin(), notes.end());
    return d;
  };
  if (found.by_content_hash && (m.message_id.empty() || reused_id)) {
    Decision d;
    d.kind = Decision::Kind::duplicate;
    d.existing = found.by_content_hash;
    d.matched_by = "content-hash";
    return with_notes(std::move(d));
  }
  if (found.by_bounce) {
    // News for the file, closed or not; never a reopening or a new request.
    Decision d;
    d.kind = Decision::Kind::attach;
    d.request = found.by_bounce->second;
    d.matched_by = "dsn:" + found.by_bounce->first;
    return with_notes(std::move(d));
  }
  if (found.by_reference) return with_notes(join(found.by_reference->second, "references:" + found.by_reference->first, policy, now));
  if (found.by_placeholder && !reused_id)
    return with_notes(join(*found.by_placeholder, "referenced-by-earlier-mail:" + m.message_id, policy, now));
  if (found.by_thread_index) return with_notes(join(*found.by_thread_index, "thread-index", policy, now));
  if (found.by_subject_reference) {
    if (found.sender_participates)
      return with_notes(join(*found.by_subject_reference, "subject-reference:" + found.by_subject_reference->reference,
                             policy, now));
    // A stranger quoting a reference does not get into someone else's file.
    Decision d;
    d.kind = Decision::Kind::new_request;
    d.linked_to = found.by_subject_reference;
    d.matched_by = "new, names " + found.by_subject_reference->reference + " (sender not a participant)";
    return with_notes(std::move(d));
  }
  if (found.resent) {
    Decision d;
    d.kind = Decision::Kind::duplicate;
    d.existing = found.resent;
    d.matched_by = "resent";
    return with_notes(std::move(d));
  }
  if (found.relance) {
    Decision d = join(*found.relance, "relance", policy, now);
    d.relance = d.kind == Decision::Kind::attach;
    return with_notes(std::move(d));
  }
  Decision d;
  d.kind = Decision::Kind::new_request;
  d.matched_by = "new";
  return with_notes(std::move(d));
}

Result<Lookups> look_up(store::Store& store, const mail::Message& m, const std::string& hash,
                        const store::MessageKeys& keys, const ThreadingPolicy& policy, std::int64_t now) {
  // Look-ups follow decide()'s order and stop at the first that decides: a reply found through
  // References needs no subject, Thread-Index or relance queries. decide() reads nothing past it.
  Lookups found;
  if (!m.message_id.empty()) {
    auto r = store.find_by_message_id(m.message_id);
    if (!r) return r.error();
    found.by_message_id = std::move(*r);
    if (found.by_message_id && found.by_message_id->content_hash == hash) return found;  // rule 1
  }
  {
    auto r = store.find_by_content_hash(hash);
    if (!r) return r.error();
    found.by_content_hash = std::move(*r);
    if (found.by_content_hash && (m.message_id.empty() || found.by_message_id)) return found;  // rule 2
  }
  if (m.bounce) {
    // A bounce of our own mail is recorded on the request it was about, never a new request.
    store::Outbox outbox(store.database());
    for (const auto& id : returned_message_ids(m)) {
      auto row = outbox.find(id);
      if (!row) return row.error();
      if (!*row || (*row)->reference.empty()) continue;
      auto req = store.find_request((*row)->reference);
      if (!req) return req.error();
      if (*req) {
        found.by_bounce = std::make_pair(id, **req);
        return found;
      }
    }
  }
  // In-Reply-To is the parent; then References from the newest (last) to the root.
  std::vector<std::string> parents = m.in_reply_to;
  parents.insert(parents.end(), m.references.rbegin(), m.references.rend());
  for (const auto& id : parents) {
    if (id == m.message_id) continue;
    auto r = store.find_thread_id(id);
    if (!r) return r.error();
    if (*r) {
      found.by_reference = std::make_pair(id, (*r)->first);
      return found;  // rule 3
    }
  }
  if (!m.message_id.empty() && !found.by_message_id) {
    auto r = store.find_thread_id(m.message_id);
    if (!r) return r.error();
    if (*r && (*r)->second) {
      found.by_placeholder = (*r)->first;
      return found;  // rule 3, arrived after its reply
    }
  }
  if (!keys.thread_key.empty()) {
    auto r = store.find_by_thread_key(keys.thread_key);
    if (!r) return r.error();
    found.by_thread_index = std::move(*r);
    if (found.by_thread_index) return found;  // rule 4
  }
  if (auto ref = threading::subject_reference(m.subject, policy.reference_prefix)) {
    auto r = store.find_request(*ref);
    if (!r) return r.error();
    found.by_subject_reference = std::move(*r);
    if (found.by_subject_reference) {
      if (!keys.sender.empty()) {
        auto p = store.is_participant(found.by_subject_reference->id, keys.sender);
        if (!p) return p.error();
        found.sender_participates = *p;
      }
      return found;  // rule 5: joins, or a new request linked to it
    }
  }
  if (!keys.sender.empty() && !keys.subject_key.empty()) {
    auto resent = store.find_resent(keys, now - policy.resend_window);
    if (!resent) return resent.error();
    found.resent = std::move(*resent);
    if (found.resent) return found;  // rule 6
    auto relance = store.find_open_by_subject(keys.sender, keys.subject_key, now - policy.relance_window);
    if (!relance) return relance.error();
    found.relance = std::move(*relance);
  }
  return found;
}

std::int64_t received_at(const mail::Message& m, std::int64_t now) {
  for (const auto& r : m.received) {
    if (auto t = mail::parse_received_date(r)) return std::min(*t, now);
    break;  // only the topmost hop is ours
  }
  if (m.date) return std::min(*m.date, now);
  return now;
}

const char* kind_name(Decision::Kind k) {
  switch (k) {
    case Decision::Kind::new_request:
      return "new_request";
    case Decision::Kind::attach:
      return "attached";
    case Decision::Kind::duplicate:
      return "duplicate";
  }
  return "unknown";
}

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

namespace {
int local_year(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return tm.tm_year + 1900;
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
}  // namespace

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

Result<Outcome> ingest(store::Store& store, std::string_view raw, const store::Source& where,
                       const IngestOptions& options, const Clock& clock) {
  mail::Message m = mail::parse(raw, options.limits);
  store::Source source = where;
  if (source.recipient.empty()) source.recipient = to_lower(m.delivered_to);
  const std::int64_t now = clock.now();
  const std::int64_t arrived = received_at(m, now);
  std::string hash = content_hash(m);
  store::MessageKeys keys = message_keys(m);
  // Windows count from when the mail arrived, so an import of old mail threads as it did live.
  auto found = look_up(store, m, hash, keys, options.threading, arrived);
  if (!found) return found.error();
  Decision d = decide(m, hash, *found, options.threading, arrived);
  for (auto& n : d.notes) m.problems.push_back(n);

  Outcome out;
  out.kind = d.kind;
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

  if (d.kind == Decision::Kind::duplicate) {
    if (auto r = store.add_source(d.existing->id, source, now); !r) return r.error();
    nlohmann::json detail{{"mailbox", source.mailbox},
                          {"location", source.location},
                          {"recipient", source.recipient},
                          {"matched_by", d.matched_by}};
    if (auto r = store.add_event(d.existing->request_id, d.existing->id, now, "guichet", "duplicate", dump(detail)); !r)
      return r.error();
    return out;
  }

  auto raw_id = store.put_raw(raw, m);
  if (!raw_id) return raw_id.error();
  std::int64_t request_id = 0;
  std::optional<Routed> routed_new;
  if (d.kind == Decision::Kind::attach) {
    request_id = d.request->id;
  } else {
    store::NewRequest req;
    req.subject = m.subject;
    req.requester = out.from;
    req.received_at = arrived;
    req.year = local_year(arrived);
    if (d.linked_to) req.linked_to = d.linked_to->id;
    auto routed = route(store, m, options, arrived);
    if (!routed) return routed.error();
    req.department = routed->department;
    req.routing = routed->routing;
    out.department = req.department;
    out.agent = req.routing.agent;
    out.rules = req.routing.rules;
    auto created = store.create_request(req, now);
    if (!created) return created.error();
    request_id = created->first;
    out.reference = created->second;
    if (auto r = store.add_participant(request_id, req.requester, "requester"); !r) return r.error();
    routed_new = std::move(*routed);
  }

  store::NewMessage nm{request_id, *raw_id, hash, arrived, d.matched_by, keys};
  auto msg_id = store.add_message(nm, m, now);
  if (!msg_id) return msg_id.error();
  if (auto r = store.add_source(*msg_id, source, now); !r) return r.error();
  std::vector<std::string> referenced = m.in_reply_to;
  referenced.insert(referenced.end(), m.references.begin(), m.references.end());
  if (auto r = store.add_thread_ids(request_id, m.message_id, referenced); !r) return r.error();
  if (d.kind == Decision::Kind::attach) {
    if (!m.from.empty() && !m.bounce) {
      if (auto r = store.add_participant(request_id, m.from.front(), "copy"); !r) return r.error();
    }
    if (auto r = store.touch_request(request_id, arrived, d.relance, d.reopen, now); !r) return r.error();
  }
  for (const auto& cc : m.cc) {
    if (auto r = store.add_participant(request_id, cc, "copy"); !r) return r.error();
  }

  nlohmann::json detail{{"mailbox", source.mailbox}, {"matched_by", d.matched_by}};
  const char* kind = "created";
  if (d.kind == Decision::Kind::new_request) {
    detail["department"] = out.department ? *out.department : "";
    detail["agent"] = out.agent ? *out.agent : "";
    detail["rules"] = out.rules;
    if (d.linked_to) detail["linked_to"] = d.linked_to->reference;
  } else {
    kind = d.relance ? "relance" : "message_added";
  }
  if (auto r = store.add_event(request_id, *msg_id, now, "guichet", kind, dump(detail)); !r) return r.error();
  if (d.reopen) {
    if (auto r = store.add_event(request_id, *msg_id, now, "guichet", "reopened", dump(detail)); !r) return r.error();
  }
  if (routed_new) {
    // The acknowledgement and the agent's notice, in this same transaction (design invariant 5).
    if (auto r = queue_for_new_request(store, m, *routed_new, NewRequestMail{request_id, out.reference, arrived},
                                       options, now);
        !r)
      return r.error();
  }
  if (d.kind == Decision::Kind::attach && d.matched_by.rfind("dsn:", 0) == 0) {
    // "Accusé non délivré": the resident did not get what we sent.
    store::Outbox outbox(store.database());
    const std::string ours = d.matched_by.substr(4);
    auto row = outbox.mark_bounced(ours, m.subject);
    if (!row) return row.error();
    nlohmann::json b{{"message_id", ours}, {"kind", *row ? (*row)->kind : ""}, {"to", *row ? (*row)->recipient : ""}};
    if (auto r = store.add_event(request_id, *msg_id, now, "guichet", "mail_bounced", dump(b)); !r) return r.error();
  }
  return out;
}

}  // namespace guichet::engine
