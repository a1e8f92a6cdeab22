-- 0004_outbox: every mail guichet sends, composed completely and queued in the same transaction as
-- the decision that caused it (lib/store/outbox.h, README "Outgoing mail").
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  request_id INTEGER REFERENCES requests (id),
  kind TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'notification', 'transfer', 'reminder', 'escalation',
                                     'digest', 'alert', 'failure')),
  message_id TEXT NOT NULL UNIQUE,        -- ours, without brackets: matches bounces (DSN) to the row
  envelope_from TEXT NOT NULL,
  recipient TEXT NOT NULL,                -- validated: no CR, LF or space can reach the SMTP envelope
  message BLOB NOT NULL,                  -- the complete RFC 5322 message, CRLF
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'bounced')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  give_up_at INTEGER NOT NULL,            -- 4xx and network errors are retried until then
  sent_at INTEGER,
  last_error TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient, kind, created_at);
-- At most one acknowledgement per request, whatever happens upstream.
CREATE UNIQUE INDEX outbox_one_acknowledgement ON outbox (request_id) WHERE kind = 'acknowledgement';
