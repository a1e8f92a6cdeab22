-- 0006_follow_through: what happens after the first mail. Agents' answers (relayed, direct, from
-- the Sent folder, held), their commands, notes, transfers, the clocks of the law, deadlines,
-- channels other than mail, and machine mail kept apart. README "How agents answer", "Commands".
--
-- `requests` and `outbox` are rebuilt: SQLite cannot change a CHECK constraint in place. The
-- migration runner turns foreign keys off around migrations and checks them before committing.

CREATE TABLE requests_new (
  id INTEGER PRIMARY KEY,
  reference TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'answered', 'waiting', 'closed')),
  subject TEXT NOT NULL,
  requester_name TEXT NOT NULL DEFAULT '',
  requester_address TEXT NOT NULL DEFAULT '',
  department TEXT,
  agent TEXT,
  received_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  linked_to INTEGER REFERENCES requests (id),
  merged_into INTEGER REFERENCES requests (id),
  relances INTEGER NOT NULL DEFAULT 0,
  closed_at INTEGER,
  last_message_at INTEGER,
  priority TEXT NOT NULL DEFAULT 'normal',
  tags TEXT NOT NULL DEFAULT '[]',
  silence TEXT NOT NULL DEFAULT 'none' CHECK (silence IN ('acceptance', 'rejection', 'none')),
  delay TEXT,
  deemed_decision_on TEXT,
  rules TEXT NOT NULL DEFAULT '[]',
  -- New in 0006.
  kind TEXT NOT NULL DEFAULT 'request' CHECK (kind IN ('request', 'machine')),  -- machine: kept apart
  channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'telephone', 'guichet', 'courrier')),
  requester_phone TEXT NOT NULL DEFAULT '',
  requester_postal TEXT NOT NULL DEFAULT '',
  mailbox TEXT NOT NULL DEFAULT '',          -- the configured mailbox it arrived in
  answer_version INTEGER NOT NULL DEFAULT 0, -- +1 at every answer: an older token is a double answer
  first_answer_at INTEGER,
  last_answer_at INTEGER,
  competent_since INTEGER,                   -- receipt by the competent service (L114-3): acceptance clock
  suspended_since INTEGER,                   -- waiting for missing pieces (L114-5)
  suspended_days INTEGER NOT NULL DEFAULT 0, -- days the rejection clock was suspended, in all
  missing TEXT NOT NULL DEFAULT '[]',        -- JSON list of missing pieces
  missing_deadline TEXT,                     -- YYYY-MM-DD
  full_ack_at INTEGER,                       -- when the full acknowledgement (R112-11-2) was queued
  response_due_on TEXT,                      -- the department's response target, YYYY-MM-DD
  decided_at INTEGER                         -- when the implicit decision was recorded
) STRICT;

INSERT INTO requests_new (id, reference, status, subject, requester_name, requester_address, department, agent,
                          received_at, created_at, updated_at, linked_to, merged_into, relances, closed_at,
                          last_message_at, priority, tags, silence, delay, deemed_decision_on, rules, competent_since,
                          full_ack_at)
  SELECT id, reference, status, subject, requester_name, requester_address, department, agent, received_at, created_at,
         updated_at, linked_to, merged_into, relances, closed_at, last_message_at, priority, tags, silence, delay,
         deemed_decision_on, rules, received_at,
         (SELECT min(o.created_at) FROM outbox o, events e WHERE o.request_id = requests.id
            AND o.kind = 'acknowledgement' AND e.request_id = requests.id AND e.kind = 'acknowledgement_queued'
            AND json_extract(e.detail, '$.template') = 'accuse-reception')
  FROM requests;
DROP TABLE requests;
ALTER TABLE requests_new RENAME TO requests;
CREATE INDEX requests_received_at ON requests (received_at);
CREATE INDEX requests_department_agent ON requests (department, agent);
-- Round-robin's last assignment of a department: the newest row of the department (without it,
-- a department of 250,000 requests costs 30 ms per new request).
CREATE INDEX requests_department ON requests (department);
-- The deadline scanner and least-loaded read open requests only.
CREATE INDEX requests_open ON requests (department, agent) WHERE status <> 'closed';
UPDATE requests SET mailbox = coalesce((SELECT s.mailbox FROM messages m JOIN message_sources s ON s.message_id = m.id
                                        WHERE m.request_id = requests.id ORDER BY m.id, s.id LIMIT 1), '');

CREATE TABLE outbox_new (
  id INTEGER PRIMARY KEY,
  request_id INTEGER REFERENCES requests (id),
  kind TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'full_acknowledgement', 'missing_pieces', 'notification',
                                     'transfer', 'reminder', 'escalation', 'digest', 'alert', 'failure', 'answer',
                                     'receipt', 'login')),
  message_id TEXT NOT NULL UNIQUE,
  envelope_from TEXT NOT NULL,
  recipient TEXT NOT NULL,
  message BLOB NOT NULL,
  -- held: an answer kept back (a colleague answered first); cancelled: a reminder whose request
  -- was closed before it could be sent.
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'bounced', 'held', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  give_up_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_error TEXT
) STRICT;
INSERT INTO outbox_new SELECT id, request_id, kind, message_id, envelope_from, recipient, message, status, attempts,
                              created_at, next_attempt_at, give_up_at, sent_at, last_error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient, kind, created_at);
CREATE INDEX outbox_request ON outbox (request_id);
CREATE UNIQUE INDEX outbox_one_acknowledgement ON outbox (request_id) WHERE kind = 'acknowledgement';
-- The full acknowledgement that follows a registration receipt (R112-11-2): once too.
CREATE UNIQUE INDEX outbox_one_full_acknowledgement ON outbox (request_id) WHERE kind = 'full_acknowledgement';

-- What a message is to its request: a resident's mail, an agent's answer (relayed, direct, from
-- the Sent folder, held), an internal note, a mail of commands only, a refused answer (not
-- authenticated: never relayed), machine mail.
ALTER TABLE messages ADD COLUMN role TEXT NOT NULL DEFAULT 'resident'
  CHECK (role IN ('resident', 'answer', 'note', 'command', 'refused', 'machine'));
ALTER TABLE messages ADD COLUMN agent TEXT;  -- the directory id of the agent who wrote it, when authenticated

-- Every answer a resident received or was left: who, when, how, and the mail it went out as.
CREATE TABLE answers (
  id INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES requests (id),
  message_id INTEGER REFERENCES messages (id),  -- the agent's mail
  outbox_id INTEGER REFERENCES outbox (id),     -- relayed: the copy sent to the resident
  agent TEXT,                                   -- directory id; NULL when an address outside the directory
  agent_address TEXT NOT NULL DEFAULT '',
  how TEXT NOT NULL CHECK (how IN ('relayed', 'direct', 'sent-folder', 'held', 'released')),
  version INTEGER NOT NULL,                     -- the request's answer version this answer made
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX answers_request ON answers (request_id);

-- Reminders, escalations, deemed decisions, relance alerts: one row per (request, kind, level, due
-- date), written with its outbox mail, so that a rerun, a restart or a second daemon never sends
-- it twice (invariant 7).
CREATE TABLE reminders (
  id INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES requests (id),
  kind TEXT NOT NULL,
  level INTEGER NOT NULL,
  due_on TEXT NOT NULL,                         -- YYYY-MM-DD the reminder was owed on
  created_at INTEGER NOT NULL,
  recipients TEXT NOT NULL DEFAULT '[]',        -- JSON list of addresses told
  UNIQUE (request_id, kind, level, due_on)
) STRICT;

-- One digest per recipient per day.
CREATE TABLE digests (
  recipient TEXT NOT NULL,
  day TEXT NOT NULL,                            -- YYYY-MM-DD, the commune's date
  created_at INTEGER NOT NULL,
  outbox_id INTEGER REFERENCES outbox (id),
  PRIMARY KEY (recipient, day)
) STRICT;

-- Keys and values guichet keeps for itself: the token key (HMAC of reply addresses).
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value ANY NOT NULL
) STRICT;
