-- 0001_init: requests, the messages that make them, raw copies, attachments, participants and
-- the audit trail. Times are Unix seconds (UTC). Applied by lib/store/migrations.cc.

-- Every mail exactly as received. Attachments that can be rebuilt bit for bit are cut out into
-- blobs (stored once by content) and listed in `holes`; see lib/store/raw_codec.h.
CREATE TABLE raw_messages (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL,                 -- of the exact bytes received, checked on every read
  size INTEGER NOT NULL,
  encoding TEXT NOT NULL CHECK (encoding IN ('identity', 'zlib')),
  holes TEXT NOT NULL DEFAULT '[]',
  data BLOB NOT NULL
) STRICT;

CREATE TABLE blobs (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  data BLOB NOT NULL
) STRICT;

-- Request references are YEAR-NNNNNN, one sequence per year of receipt.
CREATE TABLE reference_counters (
  year INTEGER PRIMARY KEY,
  last INTEGER NOT NULL
) STRICT;

CREATE TABLE requests (
  id INTEGER PRIMARY KEY,
  reference TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'waiting', 'closed')),
  subject TEXT NOT NULL,
  requester_name TEXT NOT NULL DEFAULT '',
  requester_address TEXT NOT NULL DEFAULT '',
  department TEXT,
  agent TEXT,
  received_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX requests_received_at ON requests (received_at);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES requests (id),
  raw_id INTEGER NOT NULL REFERENCES raw_messages (id),
  message_id TEXT,                      -- without angle brackets; NULL when the mail had none
  content_hash TEXT NOT NULL,           -- sender, date, subject, text, attachments: same mail, other copy
  direction TEXT NOT NULL DEFAULT 'in' CHECK (direction IN ('in', 'out')),
  from_name TEXT NOT NULL,
  from_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  date INTEGER,                         -- the Date: header
  received_at INTEGER NOT NULL,         -- when the town's server received it
  text TEXT NOT NULL,
  html TEXT,
  headers TEXT NOT NULL,                -- JSON: addresses, threading and classification headers
  auto_submitted INTEGER NOT NULL,
  bounce INTEGER NOT NULL,
  list INTEGER NOT NULL,
  problems TEXT NOT NULL DEFAULT '[]',  -- JSON list: what was repaired or could not be decoded
  matched_by TEXT NOT NULL,             -- how it joined its request: "new", "references:<id>", …
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_message_id ON messages (message_id);
CREATE INDEX messages_content_hash ON messages (content_hash);
CREATE INDEX messages_request ON messages (request_id);

-- Every place a message was seen: the first copy and each duplicate (another mailbox, a re-import).
CREATE TABLE message_sources (
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages (id),
  mailbox TEXT NOT NULL,                -- configured mailbox name, "file" or "stdin"
  location TEXT NOT NULL DEFAULT '',    -- a path, or UIDVALIDITY/UID
  seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX message_sources_message ON message_sources (message_id);

CREATE TABLE attachments (
  message_id INTEGER NOT NULL REFERENCES messages (id),
  position INTEGER NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL REFERENCES blobs (sha256),
  PRIMARY KEY (message_id, position)
) STRICT;
CREATE INDEX attachments_sha256 ON attachments (sha256);

CREATE TABLE participants (
  request_id INTEGER NOT NULL REFERENCES requests (id),
  address TEXT NOT NULL,                -- lower-case
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('requester', 'copy', 'agent')),
  PRIMARY KEY (request_id, address, role)
) STRICT;
CREATE INDEX participants_address ON participants (address);

-- The audit trail: who did what to which request, and when.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  request_id INTEGER REFERENCES requests (id),
  message_id INTEGER REFERENCES messages (id),
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX events_request ON events (request_id);
