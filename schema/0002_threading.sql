-- 0002_threading: what threading matches on, and how requests relate to each other.

-- A new request that names another (a stranger quoting a reference, a reply after the reopen
-- window, a split) is linked to it; a merged request points to the one that absorbed it.
ALTER TABLE requests ADD COLUMN linked_to INTEGER REFERENCES requests (id);
ALTER TABLE requests ADD COLUMN merged_into INTEGER REFERENCES requests (id);
ALTER TABLE requests ADD COLUMN relances INTEGER NOT NULL DEFAULT 0;   -- reminders from the resident
ALTER TABLE requests ADD COLUMN closed_at INTEGER;
ALTER TABLE requests ADD COLUMN last_message_at INTEGER;

-- The address each copy was delivered to (Delivered-To / X-Original-To): the same mail sent to
-- urbanisme@ and mairie@ is one message with two sources, and says so.
ALTER TABLE message_sources ADD COLUMN recipient TEXT NOT NULL DEFAULT '';

-- Keys computed by lib/threading/keys.h when the message is stored.
ALTER TABLE messages ADD COLUMN sender TEXT NOT NULL DEFAULT '';        -- From address, lower-case
ALTER TABLE messages ADD COLUMN subject_key TEXT NOT NULL DEFAULT '';   -- normalised subject
ALTER TABLE messages ADD COLUMN body_key TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN thread_key TEXT NOT NULL DEFAULT '';    -- Outlook conversation
CREATE INDEX messages_sender_subject ON messages (sender, subject_key);
CREATE INDEX messages_thread_key ON messages (thread_key);  -- not partial: a bound parameter could not use it

-- Every Message-ID guichet knows and the request it belongs to: those of stored messages, and
-- (JWZ's placeholders) those only seen in In-Reply-To or References, so that a reply fetched before
-- the mail it answers still ends in the same request once both are in.
CREATE TABLE thread_ids (
  message_id TEXT PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES requests (id),
  placeholder INTEGER NOT NULL          -- 1: seen only in another message's references
) STRICT, WITHOUT ROWID;
CREATE INDEX thread_ids_request ON thread_ids (request_id);

INSERT INTO thread_ids (message_id, request_id, placeholder)
  SELECT message_id, request_id, 0 FROM messages WHERE message_id IS NOT NULL
  ON CONFLICT (message_id) DO NOTHING;
UPDATE messages SET sender = lower(from_address);
UPDATE requests SET last_message_at = (SELECT max(received_at) FROM messages WHERE request_id = requests.id);
