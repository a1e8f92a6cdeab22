-- 0005_mailboxes: where each configured mailbox is (lib/store/mailbox_state.h, README "The daemon").
CREATE TABLE mailbox_state (
  name TEXT PRIMARY KEY,            -- the configured mailbox name
  uidvalidity INTEGER,              -- IMAP: the folder's UIDVALIDITY when last_uid was read
  last_uid INTEGER NOT NULL DEFAULT 0,   -- every UID up to this one is committed
  waiting INTEGER NOT NULL DEFAULT 0,    -- messages seen on the server and not yet ingested
  last_poll_at INTEGER,
  last_success_at INTEGER,
  last_error TEXT,
  failing_since INTEGER,            -- first failure of the current run of failures
  alerted INTEGER NOT NULL DEFAULT 0     -- 1 once the admin was told of the current failure
) STRICT;
-- Messages committed but whose "after" action (flag, \Seen restored, move) is not yet done on the
-- server: written in the ingest transaction, removed once the server has done it. A crash in
-- between leaves them here, and the next poll finishes the job.
CREATE TABLE mailbox_pending (
  name TEXT NOT NULL,
  uidvalidity INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  was_seen INTEGER NOT NULL,        -- \Seen as a human left it, before our fetch set it
  PRIMARY KEY (name, uidvalidity, uid)
) STRICT;
