#include "threading/decide.h"

#include <algorithm>
#include <cstdio>

#include "mail/dsn.h"
#include "store/outbox.h"
#include "threading/keys.h"
#include "util/sha256.h"
#include "util/local_time.h"
#include "util/strings.h"

namespace guichet::threading {

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
  if (target.status == store::RequestStatus::closed) {
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

// A stranger naming a reference (in the subject or the text) does not get into someone else's
// file: a new request, linked to the one named.
Decision linked_new(const store::RequestState& named, const char* how) {
  Decision d;
  d.kind = Decision::Kind::new_request;
  d.linked_to = named;
  d.matched_by = std::string("new, ") + how + " " + named.reference + " (sender not a participant)";
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
    d.bounce_of = found.by_bounce->first;
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
    return with_notes(linked_new(*found.by_subject_reference, "names"));
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
  if (found.chaser) {
    Decision d = join(found.chaser->first, "chaser:" + found.chaser->second, policy, now);
    d.relance = d.kind == Decision::Kind::attach;
    return with_notes(std::move(d));
  }
  if (found.reply_to_requester)
    return with_notes(join(found.reply_to_requester->first, "reply-to-requester:" + found.reply_to_requester->second,
                           policy, now));
  if (found.by_text_reference) {
    if (found.text_reference_participates) {
      Decision d = join(*found.by_text_reference, "text-reference:" + found.by_text_reference->reference, policy, now);
      d.relance = d.kind == Decision::Kind::attach;
      return with_notes(std::move(d));
    }
    return with_notes(linked_new(*found.by_text_reference, "cites"));
  }
  if (found.by_text_date) {
    Decision d = join(found.by_text_date->first, "text-date:" + found.by_text_date->second, policy, now);
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
    store::Outbox outbox = store.outbox();
    for (const auto& id : mail::returned_message_ids(m)) {
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
    if (found.relance) return found;  // rule 8
    auto earlier = store.open_subjects_of(keys.sender, now - policy.relance_window);
    if (!earlier) return earlier.error();
    for (auto& e : *earlier) {
      if (!threading::chases(keys.subject_key, e.subject_key)) continue;
      found.chaser = std::make_pair(std::move(e.request), std::move(e.subject_key));
      return found;  // rule 9
    }
  }
  if (!keys.sender.empty() && !keys.subject_key.empty() && m.in_reply_to.empty() && m.references.empty() &&
      threading::has_reply_prefix(m.subject)) {
    const bool agent = std::find(policy.agent_addresses.begin(), policy.agent_addresses.end(), keys.sender) !=
                       policy.agent_addresses.end();
    for (const auto* list : {&m.to, &m.cc}) {
      for (const auto& a : *list) {
        if (a.address.empty() || to_lower(a.address) == keys.sender) continue;
        auto r = store.find_open_of_requester(a.address, keys.subject_key);
        if (!r) return r.error();
        if (!*r) continue;
        bool trusted = agent;
        if (!trusted) {
          auto p = store.is_participant((*r)->id, keys.sender);
          if (!p) return p.error();
          trusted = *p;
        }
        if (!trusted) continue;
        found.reply_to_requester = std::make_pair(std::move(**r), to_lower(a.address));
        return found;  // rule 10
      }
    }
  }
  // Rule 11: what the resident's own text cites. Only for mail that would otherwise start a request.
  if (!m.text.empty()) {
    const LocalTime sent = local_time(now);
    const TextCitation cited = text_citation(m.text, sent.year, sent.month);
    if (cited.reference) {
      auto r = store.find_request(*cited.reference);
      if (!r) return r.error();
      if (*r) {
        found.by_text_reference = std::move(*r);
        if (!keys.sender.empty()) {
          auto p = store.is_participant(found.by_text_reference->id, keys.sender);
          if (!p) return p.error();
          found.text_reference_participates = *p;
        }
        return found;
      }
    }
    if (cited.date && !keys.sender.empty()) {
      // Their mail of that day, if it went to exactly one open request.
      auto mail = store.open_mail_of(keys.sender, now - policy.relance_window * 3);
      if (!mail) return mail.error();
      std::optional<store::RequestState> match;
      bool several = false;
      for (auto& e : *mail) {
        const LocalTime t = local_time(e.received_at);
        char iso[16];
        std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", t.year, t.month, t.day);
        if (*cited.date != iso) continue;
        if (match && match->id != e.request.id) several = true;
        match = std::move(e.request);
      }
      if (match && !several) found.by_text_date = std::make_pair(std::move(*match), *cited.date);
    }
  }
  return found;
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

}  // namespace guichet::threading
