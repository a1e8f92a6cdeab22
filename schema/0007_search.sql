-- 0007_search: finding any request in a second (README, "Search").
--
-- The tables are contentless: they hold the index only, not a second copy of every mail. What
-- they index is guichet's own folding of the text (lib/util/text_fold: case, accents and
-- ligatures removed, "œ" is "oe"), so that queries folded the same way agree whatever the spelling.
-- Three tables, each written in rowid order: FTS5 flushes what it holds in memory to a new segment
-- whenever a rowid is not above the last one it was given, so one table mixing messages and
-- requests would write (and later merge) a segment for every mail (bench/search.sh measured the
-- ingest 17 % slower that way).
-- The messages: the rowid is the message's id.
CREATE VIRTUAL TABLE search USING fts5(
  names, subject, body, files,
  content = '', detail = none, columnsize = 0,
  tokenize = 'unicode61 remove_diacritics 2'
);
-- The requests themselves (the reference in every spelling, the requester's name, address and
-- phone, the subject): the rowid is the request's id.
CREATE VIRTUAL TABLE search_requests USING fts5(
  ref, names, subject,
  content = '', detail = none, columnsize = 0,
  tokenize = 'unicode61 remove_diacritics 2'
);
-- Requesters' names again, as trigrams: partial names from the middle ("cotine" finds
-- "Seccotine"). The rowid is the request's id.
CREATE VIRTUAL TABLE search_names USING fts5(names, content = '', tokenize = 'trigram');  -- positions: substrings are phrases
-- Removing a row (a purge) gives its values again to the 'delete' command (lib/store/search.cc).
-- The mail and requests a database held before this migration are indexed at the next start, in
-- batches, with a progress line (Store::build_search_index): up to these ids; what arrives after
-- them is indexed as it is stored.
INSERT INTO settings (key, value) VALUES
  ('search_build_messages', CAST((SELECT coalesce(max(id), 0) FROM messages) AS TEXT)),
  ('search_build_requests', CAST((SELECT coalesce(max(id), 0) FROM requests) AS TEXT)),
  ('search_built_messages', '0'),
  ('search_built_requests', '0');
