// Polling one configured mailbox: never lose a message, never take one twice.
//
// Per poll, over any transport::Source (docs/ARCHITECTURE.md, "The daemon"):
//   1. finish the server-side actions owed for mail already committed (a crash may have left some);
//   2. STATUS: a UIDVALIDITY that changed means the folder was recreated: rescan it from UID 1,
//      Message-IDs and content hashes keep every message from being stored twice;
//      first run: `start` (now: only mail arriving from now on; all; since:YYYY-MM-DD);
//   3. the UIDs after the last one committed, and which of them a human has opened;
//   4. each message: fetch (ahead, engine/prefetch.h), ingest, and record the new last UID and the
//      action it is owed, in the batch's transaction (store/batch.h); only then is the server touched;
//   5. the owed actions for the whole poll, a few commands over UID sets: keyword $Guichet, \Seen
//      put back as a human left it, or a move.
// A source without durable UIDs (a Maildir) is told about each batch right after its commit.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/setup.h"
#include "store/store.h"
#include "transport/source.h"
#include "util/clock.h"

namespace guichet::engine {

struct PollResult {
  int ingested = 0;  // new requests and attached messages
  int duplicates = 0;
  int waiting = 0;  // left on the server (stopped early)
};

class MailboxPoller {
 public:
  // `source`: the mailbox's source; built from the configuration (engine/connections.h) on the
  // first poll when not given.
  explicit MailboxPoller(config::Mailbox mailbox, std::unique_ptr<transport::Source> source = nullptr);
  const config::Mailbox& mailbox() const { return mailbox_; }

  // One poll. `stop` is checked between messages: what was committed is finished on the server
  // before returning.
  Result<PollResult> poll(store::Store& store, const Setup& setup, const Clock& clock,
                          const std::function<bool()>& stop = {});
  // The mailbox's source, built on first use; connects only when used.
  Result<transport::Source*> source();

 private:
  struct Start {
    std::uint32_t uidvalidity = 0;
    std::uint32_t last = 0;                      // every UID up to this one is committed
    std::optional<std::vector<std::uint32_t>> uids;  // first run with since:, the UIDs to take
  };
  Result<Start> position(store::Store& store, transport::Source& source);
  Result<void> finish_owed(store::Store& store, transport::Source& source, std::uint32_t uidvalidity);

  config::Mailbox mailbox_;
  std::unique_ptr<transport::Source> source_;
};

}  // namespace guichet::engine
