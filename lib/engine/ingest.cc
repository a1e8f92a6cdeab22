#include "engine/ingest.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "mail/date.h"
#include "util/sha256.h"

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

Decision decide(const mail::Message& m, const std::string& hash, const Lookups& found) {
  Decision d;
  if (found.by_message_id) {
    if (found.by_message_id->content_hash == hash) {
      d.kind = Decision::Kind::duplicate;
      d.existing = found.by_message_id;
      d.matched_by = "message-id:" + m.message_id;
      return d;
    }
    // Same Message-ID, different mail: a broken client or a forged ID. Never merge silently.
    d.notes.push_back("Message-ID " + m.message_id + " already belongs to a different mail (request " +
                      found.by_message_id->reference + ")");
  }
  if (found.by_content_hash && (m.message_id.empty() || found.by_message_id)) {
    d.kind = Decision::Kind::duplicate;
    d.existing = found.by_content_hash;
    d.matched_by = "content-hash";
    return d;
  }
  d.kind = Decision::Kind::new_request;
  d.matched_by = "new";
  return d;
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
    case Decision::Kind::duplicate:
      return "duplicate";
  }
  return "unknown";
}

namespace {
int local_year(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return tm.tm_year + 1900;
}
}  // namespace

Result<Outcome> ingest(store::Store& store, std::string_view raw, const store::Source& source,
                       const IngestOptions& options, const Clock& clock) {
  mail::Message m = mail::parse(raw, options.limits);
  std::string hash = content_hash(m);
  Lookups found;
  if (!m.message_id.empty()) {
    auto r = store.find_by_message_id(m.message_id);
    if (!r) return r.error();
    found.by_message_id = std::move(*r);
  }
  if (!found.by_message_id || found.by_message_id->content_hash != hash) {
    auto r = store.find_by_content_hash(hash);
    if (!r) return r.error();
    found.by_content_hash = std::move(*r);
  }
  Decision d = decide(m, hash, found);
  for (auto& n : d.notes) m.problems.push_back(n);

  Outcome out;
  out.kind = d.kind;
  out.message_id = m.message_id;
  out.subject = m.subject;
  out.from = m.from.empty() ? mail::Address{} : m.from.front();
  out.matched_by = d.matched_by;
  out.problems = m.problems;
  if (d.existing) out.reference = d.existing->reference;

  const std::int64_t now = clock.now();
  if (options.dry_run) return out;

  if (d.kind == Decision::Kind::duplicate) {
    if (auto r = store.add_source(d.existing->id, source, now); !r) return r.error();
    nlohmann::json detail{{"mailbox", source.mailbox}, {"location", source.location}, {"matched_by", d.matched_by}};
    if (auto r = store.add_event(d.existing->request_id, d.existing->id, now, "guichet", "duplicate",
                                 detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        !r)
      return r.error();
    return out;
  }

  auto raw_id = store.put_raw(raw, m);
  if (!raw_id) return raw_id.error();
  store::NewRequest req;
  req.subject = m.subject;
  req.requester = out.from;
  req.department = options.department;
  req.received_at = received_at(m, now);
  req.year = local_year(req.received_at);
  auto created = store.create_request(req, now);
  if (!created) return created.error();
  auto [request_id, reference] = *created;
  out.reference = reference;

  store::NewMessage nm{request_id, *raw_id, hash, req.received_at, d.matched_by};
  auto msg_id = store.add_message(nm, m, now);
  if (!msg_id) return msg_id.error();
  if (auto r = store.add_source(*msg_id, source, now); !r) return r.error();
  if (auto r = store.add_participant(request_id, req.requester, "requester"); !r) return r.error();
  for (const auto& cc : m.cc) {
    if (auto r = store.add_participant(request_id, cc, "copy"); !r) return r.error();
  }
  nlohmann::json detail{{"mailbox", source.mailbox}, {"department", options.department ? *options.department : ""}};
  if (auto r = store.add_event(request_id, *msg_id, now, "guichet", "created",
                               detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      !r)
    return r.error();
  return out;
}

}  // namespace guichet::engine
