// Which request a mail belongs to: the threading decision.
//
//   look_up (store)  ->  decide (pure)
//
// decide() sees only its inputs (the message, what the store found, the policy, the time of
// receipt) and returns a Decision with `matched_by`, the rule and its evidence, so its rules are
// tested as a table (tests/unit/test_threading.cc). look_up() asks the store what decide() needs,
// in decide()'s order, and stops at the first look-up that decides.
//
// First match wins (docs/ARCHITECTURE.md, "Threading"):
//   1. same Message-ID, same content          -> duplicate (another mailbox, a re-fetch)
//   2. same content without usable Message-ID -> duplicate
//   3. a bounce (DSN) of one of our own mails -> the request that mail was about
//   4. In-Reply-To / References name a known message, newest first; or this message was
//      referenced earlier by a mail that arrived first (JWZ placeholder) -> that request
//   5. Outlook Thread-Index conversation                                    -> that request
//   6. a reference in the subject, from someone taking part                 -> that request
//      (from anyone else: a new request linked to it)
//   7. resent copy: same sender, subject and body within 24 h               -> duplicate
//   8. relance: same sender and subject, request still open, within 30 days -> that request
//   9. chaser: same sender, the subject is an earlier one after a chasing phrase
//      ("Relance : …", "2e relance - …", "Toujours sans réponse : …"), open, within 30 days
//                                                                           -> that request
//  10. a reply ("RE : …") without References, sent to or copying the requester of an open
//      request on that subject, by a participant or an agent (Outlook answering a Gmail
//      resident starts a new conversation)                                  -> that request
//  11. otherwise a new request
// A match on a closed request reopens it within 30 days of closing; later, it starts a new request
// linked to the old one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "defaults/defaults.h"
#include "mail/message.h"
#include "store/store.h"

namespace guichet::threading {

struct ThreadingPolicy {
  std::int64_t relance_window = defaults::relance_window_seconds;
  std::int64_t reopen_window = defaults::reopen_window_seconds;
  std::int64_t resend_window = defaults::resend_window_seconds;
  std::string reference_prefix{defaults::reference_prefix};
  // The town's agents (their addresses and aliases, lower-case): rule 10 trusts their replies.
  std::vector<std::string> agent_addresses;
};

struct Lookups {
  std::optional<store::ExistingMessage> by_message_id;
  std::optional<store::ExistingMessage> by_content_hash;
  // A bounce reporting on a mail of ours: its Message-ID and the request it was about.
  std::optional<std::pair<std::string, store::RequestState>> by_bounce;
  // The first In-Reply-To/References id (newest first) that belongs to a request.
  std::optional<std::pair<std::string, store::RequestState>> by_reference;
  // This message's own Message-ID was referenced by a mail that arrived before it.
  std::optional<store::RequestState> by_placeholder;
  std::optional<store::RequestState> by_thread_index;
  std::optional<store::RequestState> by_subject_reference;
  bool sender_participates = false;  // in by_subject_reference
  std::optional<store::ExistingMessage> resent;
  std::optional<store::RequestState> relance;
  // Rule 9: the request and the earlier subject the chaser repeats.
  std::optional<std::pair<store::RequestState, std::string>> chaser;
  // Rule 10: the request and the requester's address the reply went to.
  std::optional<std::pair<store::RequestState, std::string>> reply_to_requester;
  // Rule 11: the resident's own text cites a request's reference (and whether they take part in
  // it), or the date of their one earlier mail in an open request.
  std::optional<store::RequestState> by_text_reference;
  bool text_reference_participates = false;
  std::optional<std::pair<store::RequestState, std::string>> by_text_date;
};

struct Decision {
  enum class Kind { new_request, attach, duplicate };
  Kind kind = Kind::new_request;
  std::optional<store::ExistingMessage> existing;  // duplicate: the stored copy
  std::optional<store::RequestState> request;      // attach: the request it joins
  std::optional<store::RequestState> linked_to;    // new_request: the request it names
  std::optional<std::string> bounce_of;            // attach: the Message-ID of our mail it reports on
  bool relance = false;
  bool reopen = false;
  std::string matched_by;  // rule and evidence: "references:<id>", "subject-reference:2026-000042"…
  std::vector<std::string> notes;
};

const char* kind_name(Decision::Kind k);

// What makes two copies the same mail, whatever the transport added: sender, Date, subject,
// decoded text and attachments. Catches re-deliveries without Message-ID and reused Message-IDs.
std::string content_hash(const mail::Message& m);

// The keys stored with a message for later look-ups (lib/threading/keys.h).
store::MessageKeys message_keys(const mail::Message& m);

Decision decide(const mail::Message& m, const std::string& hash, const Lookups& found, const ThreadingPolicy& policy,
                std::int64_t now);

// Gathers what decide() needs from the store.
Result<Lookups> look_up(store::Store& store, const mail::Message& m, const std::string& hash,
                        const store::MessageKeys& keys, const ThreadingPolicy& policy, std::int64_t now);

}  // namespace guichet::threading
