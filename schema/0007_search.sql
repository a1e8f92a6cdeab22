-- 0007_search: finding any request in a second (README, "Search").
--
-- Both tables are contentless: they hold the index only, not a second copy of every mail. What
-- they index is guichet's own folding of the text (lib/util/text_fold: case, accents and
-- ligatures removed, "œ" is "oe"), so that queries folded the same way agree whatever the spelling.
-- A row's rowid is the message's id; a request's own row (its reference in every spelling, its
-- requester's name, address and phone, its subject) has the rowid 2^40 + the request's id.
-- Removing a row (a purge) gives its values again to the 'delete' command (lib/store/search.cc).
CREATE VIRTUAL TABLE search USING fts5(
  ref, names, subject, body, files,
  content = '', detail = none, columnsize = 0,
  tokenize = 'unicode61 remove_diacritics 2'
);
-- Names again, as trigrams: partial names from the middle ("cotine" finds "Seccotine").
CREATE VIRTUAL TABLE search_names USING fts5(names, content = '', tokenize = 'trigram');
-- The mail and requests a database held before this migration are indexed at the next start, in
-- batches, with a progress line (Store::build_search_index): up to these ids; what arrives after
-- them is indexed as it is stored.
INSERT INTO settings (key, value) VALUES
  ('search_build_messages', CAST((SELECT coalesce(max(id), 0) FROM messages) AS TEXT)),
  ('search_build_requests', CAST((SELECT coalesce(max(id), 0) FROM requests) AS TEXT)),
  ('search_built_messages', '0'),
  ('search_built_requests', '0');
