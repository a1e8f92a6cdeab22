#include "engine/ingest.h"

#include <nlohmann/json.hpp>

#include "engine/outbox.h"
#include "engine/route.h"
#include "mail/date.h"
#include "util/json.h"
#include "util/local_time.h"
#include "util/strings.h"

namespace guichet::engine {

Result<Outcome> ingest(store::Store& store, std::string_view raw, const store::Source& where,
                       const IngestOptions& options, const Clock& clock) {
  mail::Message m = mail::parse(raw, options.limits);
  store::Source source = where;
  if (source.recipient.empty()) source.recipient = to_lower(m.delivered_to);
  const std::int64_t now = clock.now();
  const std::int64_t arrived = mail::received_at(m, now);
  std::string hash = threading::content_hash(m);
  store::MessageKeys keys = threading::message_keys(m);
  // Windows count from when the mail arrived, so an import of old mail threads as it did live.
  auto found = threading::look_up(store, m, hash, keys, options.threading, arrived);
  if (!found) return found.error();
  Decision d = threading::decide(m, hash, *found, options.threading, arrived);
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
    if (auto r = store.add_event(d.existing->request_id, d.existing->id, now, "guichet", "duplicate", dump_json(detail)); !r)
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
    req.year = local_time(arrived).year;
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
  if (auto r = store.add_event(request_id, *msg_id, now, "guichet", kind, dump_json(detail)); !r) return r.error();
  if (d.reopen) {
    if (auto r = store.add_event(request_id, *msg_id, now, "guichet", "reopened", dump_json(detail)); !r) return r.error();
  }
  if (routed_new) {
    // The acknowledgement and the agent's notice, in this same transaction (design invariant 5).
    if (auto r = queue_for_new_request(store, m, *routed_new, NewRequestMail{request_id, out.reference, arrived},
                                       options, now);
        !r)
      return r.error();
  }
  if (d.bounce_of) {
    // "Accusé non délivré": the resident did not get what we sent.
    const std::string& ours = *d.bounce_of;
    auto row = store.outbox().mark_bounced(ours, m.subject);
    if (!row) return row.error();
    nlohmann::json b{{"message_id", ours},
                     {"kind", *row ? store::name((*row)->kind) : ""},
                     {"to", *row ? (*row)->recipient : ""}};
    if (auto r = store.add_event(request_id, *msg_id, now, "guichet", "mail_bounced", dump_json(b)); !r) return r.error();
  }
  return out;
}

}  // namespace guichet::engine
