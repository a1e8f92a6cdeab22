// Polling one configured mailbox (IMAP or Maildir): never lose a message, never take one twice.
//
// IMAP, per poll (docs/ARCHITECTURE.md, "The daemon"):
//   1. finish the server-side actions owed for mail already committed (a crash may have left some);
//   2. STATUS: a UIDVALIDITY that changed means the folder was recreated: rescan it from UID 1,
//      Message-IDs and content hashes keep every message from being stored twice;
//      first run: `start` (now: only mail arriving from now on; all; since:YYYY-MM-DD);
//   3. UID SEARCH UID last+1:*, then the flags of those UIDs (a human may have opened them);
//   4. each message: fetch by UID, ingest, and record the new last UID and the action it is owed,
//      all in one transaction; only then is the server touched;
//   5. the owed actions for the whole batch, a few commands over UID sets: keyword $Guichet,
//      \Seen put back as a human left it, or a move.
// Maildir: new/ in name order; after the commit a message moves to cur/ (flag, seen, leave) or
// to the Maildir++ folder .Folder/cur/ (move:Folder).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/setup.h"
#include "store/store.h"
#include "transport/imap.h"
#include "util/clock.h"

namespace guichet::engine {

struct PollResult {
  int ingested = 0;  // new requests and attached messages
  int duplicates = 0;
  int waiting = 0;  // left on the server (stopped early)
};

class MailboxPoller {
 public:
  explicit MailboxPoller(config::Mailbox mailbox) : mailbox_(std::move(mailbox)) {}
  const config::Mailbox& mailbox() const { return mailbox_; }

  // One poll. `stop` is checked between messages: what was committed is finished on the server
  // before returning.
  Result<PollResult> poll(store::Store& store, const Setup& setup, const Clock& clock,
                          const std::function<bool()>& stop = {});

 private:
  Result<PollResult> poll_imap(store::Store& store, const Setup& setup, const Clock& clock,
                               const std::function<bool()>& stop);
  Result<PollResult> poll_maildir(store::Store& store, const Setup& setup, const Clock& clock,
                                  const std::function<bool()>& stop);
  Result<void> finish_owed(store::Store& store, std::uint32_t uidvalidity);
  Result<transport::ImapMailbox*> imap();

  config::Mailbox mailbox_;
  std::unique_ptr<transport::ImapMailbox> imap_;
};

}  // namespace guichet::engine
