// Removing a request's personal data, leaving an anonymous tombstone (schema/0010_retention.sql):
// what retention (`guichet purge`) and a justified erasure (`guichet rgpd erase`) do to one
// request. The policy — which requests, when, and the audit events — is engine/retention.h.
//
// Kept: the reference, the dates, department, agent, status, channel, rules, the clocks of the
// law, the answers' and reminders' rows (who answered, when), the events with their kind, time
// and actor, and of their details only what the figures read (status changes, transfers between
// departments). Removed: every mail's bytes, attachments and blobs no other mail uses, names,
// addresses, phone numbers, postal addresses, subjects, texts, headers, Message-IDs, the search
// index's rows, the participants who are not agents, and the mail guichet sent (kept as a row:
// kind, status, dates). A mail still on the town's server is the server's: guichet no longer
// holds a copy.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/sqlite.h"
#include "util/result.h"

namespace guichet::store {

struct PurgeOutcome {
  std::int64_t messages = 0;     // mails blanked
  std::int64_t bytes = 0;        // of mail bytes removed, as received
  std::int64_t attachments = 0;  // attachment rows removed
  std::int64_t blobs = 0;        // attachment contents removed (no other mail used them)
  std::int64_t outbox = 0;       // mails guichet sent, blanked

  PurgeOutcome& operator+=(const PurgeOutcome& o) {
    messages += o.messages;
    bytes += o.bytes;
    attachments += o.attachments;
    blobs += o.blobs;
    outbox += o.outbox;
    return *this;
  }
};

// In the caller's transaction: request `id`, and the requests merged into it, become tombstones.
// `shared_topics` (shared_subject_keys): the first mail keeps its normalised subject when another
// request has the same one, so that the figures' recurring subjects stay as they were; a subject
// only one request had is personal and goes.
Result<PurgeOutcome> purge_request(Database& db, std::int64_t id, std::int64_t now,
                                   const std::set<std::string>& shared_topics);

struct PurgeCandidate {
  std::int64_t id = 0;
  std::string reference;
  std::string kind;        // request | machine
  std::int64_t since = 0;  // closed at (a request), received at (machine mail)
};

// Requests closed before `closed_before` and machine mail received before `machine_before` (each
// when given), not purged yet, not merged into another (they follow it), oldest first.
Result<std::vector<PurgeCandidate>> purge_candidates(Database& db, std::optional<std::int64_t> closed_before,
                                                     std::optional<std::int64_t> machine_before);

// Mail guichet sent about no one request (the daily digests, which list residents' names and
// subjects; alerts; login links) sent before `before`: blanked as a tombstone's are. Returns how many.
Result<std::int64_t> purge_loose_outbox(Database& db, std::int64_t before);

// While one lives, SQLite overwrites what it deletes on this connection (PRAGMA secure_delete), so
// that a purge's removed bytes do not linger in free pages. The connection is as before once it
// goes: the daemon's ingest, on the same connection, does not pay for zeroing what it frees.
class SecureDelete {
 public:
  explicit SecureDelete(Database& db);
  ~SecureDelete();
  SecureDelete(const SecureDelete&) = delete;
  SecureDelete& operator=(const SecureDelete&) = delete;
  // Whether SQLite accepted it; a purge does not start without it.
  const Result<void>& started() const { return started_; }

 private:
  Database& db_;
  Result<void> started_;
};
// After a purge that removed something: the search index is rewritten without the removed rows'
// terms (a contentless FTS5 table only marks a row deleted until its segments merge), and the
// write-ahead log is emptied into the database (a busy reader may delay that: not an error).
// Holds the write lock meanwhile; the daemon runs it in its daily pass.
Result<void> compact_after_purge(Database& db);

// Of the first mails' normalised subjects of `ids`, those more than one request has (one scan of
// the messages: called once per purge run, not per request).
Result<std::set<std::string>> shared_subject_keys(Database& db, const std::vector<std::int64_t>& ids);

}  // namespace guichet::store
