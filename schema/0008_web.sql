-- 0008_web: the web view's logins (README, "The web view"). Nothing secret is stored: a session
-- and a login link are random strings the browser or the mail holds; the database keeps their
-- SHA-256 only.
CREATE TABLE web_sessions (
  id_hash TEXT PRIMARY KEY,      -- SHA-256 of the cookie's value
  address TEXT NOT NULL,         -- who (lower-case): an agent's or an élu's address in the directory
  csrf TEXT NOT NULL,            -- the token every form of this session carries
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE web_links (
  token_hash TEXT PRIMARY KEY,   -- SHA-256 of the one-time token mailed
  address TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER                -- single use
) STRICT, WITHOUT ROWID;

-- Login attempts, for the rate limits: per address and per client.
CREATE TABLE web_attempts (
  key TEXT NOT NULL,             -- "address:…" or "client:…"
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX web_attempts_key ON web_attempts (key, at);

-- The pages' look-ups over years of requests: "mes demandes" (an agent's open requests), the live
-- view (open requests per department, read from the index alone; what was answered this month).
CREATE INDEX requests_open_agent ON requests (agent) WHERE status <> 'closed';
CREATE INDEX requests_open_figures ON requests (department, status, response_due_on, relances)
  WHERE status <> 'closed' AND kind = 'request' AND merged_into IS NULL;
CREATE INDEX requests_first_answer ON requests (first_answer_at) WHERE first_answer_at IS NOT NULL;
