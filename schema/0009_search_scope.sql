-- 0009_search_scope: a search limited to some departments answers from the index itself
-- (README, "Search"; bench/search.sh).
--
-- Before, the rights were applied after the index: a word common in one department and absent
-- from another made an élu of the second read every match of the first before saying "nothing"
-- (819 ms at p95 over a million mails). Every row of the index now also holds its request's scope
-- — its department, its agent, its tags — as terms no mail or query contains (U+E000 and a number
-- from search_scope_terms), so that "lampadaire AND (urbanisme OR tag culture)" is an
-- intersection FTS5 makes in its own lists. The rights stay in SQL as well, exactly: the terms
-- only let the index skip what cannot be shown.
--
-- The tables are contentless (0007): a row is removed by giving its values again, so what a row
-- was given as its scope is kept beside it (search_scope, search_request_scope), and a request
-- whose department, agent or tags change, or that a message joins, is queued by the triggers
-- below (in every connection, the sqlite3 shell included) and given its new scope before the next
-- commit guichet makes (Store, lib/store/search.cc). While anything is queued, or the index is
-- being built, searches do not filter in the index.
DROP TABLE search;
DROP TABLE search_requests;
DROP TABLE search_names;
CREATE VIRTUAL TABLE search USING fts5(
  names, subject, body, files, scope,
  content = '', detail = none, columnsize = 0,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE search_requests USING fts5(
  ref, names, subject, scope,
  content = '', detail = none, columnsize = 0,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE search_names USING fts5(names, content = '', tokenize = 'trigram');

-- "department:urbanisme", "agent:p.martin@…", "tag:culture": numbered once, never renumbered.
CREATE TABLE search_scope_terms (
  id INTEGER PRIMARY KEY,
  term TEXT NOT NULL UNIQUE
) STRICT;
-- The scope each indexed row was given ("3 7 12", ids of search_scope_terms). A message or a
-- request without a row here is not in the index (yet).
CREATE TABLE search_scope (
  message_id INTEGER PRIMARY KEY REFERENCES messages (id),
  terms TEXT NOT NULL
) STRICT;
CREATE TABLE search_request_scope (
  request_id INTEGER PRIMARY KEY REFERENCES requests (id),
  terms TEXT NOT NULL
) STRICT;
CREATE TABLE search_rescope (
  request_id INTEGER PRIMARY KEY
) STRICT;
CREATE TRIGGER search_rescope_request AFTER UPDATE OF department, agent, tags ON requests
  WHEN OLD.department IS NOT NEW.department OR OLD.agent IS NOT NEW.agent OR OLD.tags IS NOT NEW.tags
BEGIN
  INSERT OR IGNORE INTO search_rescope (request_id) VALUES (NEW.id);
END;
CREATE TRIGGER search_rescope_message AFTER UPDATE OF request_id ON messages
  WHEN OLD.request_id IS NOT NEW.request_id
BEGIN
  INSERT OR IGNORE INTO search_rescope (request_id) VALUES (NEW.request_id);
END;

-- Everything is indexed again at the next start, in batches, with a progress line
-- (Store::build_search_index), as 0007 did.
UPDATE settings SET value = CAST((SELECT coalesce(max(id), 0) FROM messages) AS TEXT) WHERE key = 'search_build_messages';
UPDATE settings SET value = CAST((SELECT coalesce(max(id), 0) FROM requests) AS TEXT) WHERE key = 'search_build_requests';
UPDATE settings SET value = '0' WHERE key IN ('search_built_messages', 'search_built_requests');
