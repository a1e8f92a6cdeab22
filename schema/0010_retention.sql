-- 0010_retention: requests whose personal data was removed (README, "Retention and RGPD").
-- A purged request stays as an anonymous tombstone: its reference, dates, department, agent,
-- status and the events the figures count; its mail bytes, attachments, names, addresses,
-- subjects and texts are gone. Set by lib/store/purge.cc, in the transaction that removes them.
ALTER TABLE requests ADD COLUMN purged_at INTEGER;
-- What `guichet purge` looks for every day: closed requests not purged yet, by closing date.
CREATE INDEX requests_purge_closed ON requests (closed_at) WHERE purged_at IS NULL AND status = 'closed';
-- The requests merged into one (a purge makes them tombstones with it): few, so a partial index.
CREATE INDEX requests_merged_into ON requests (merged_into) WHERE merged_into IS NOT NULL;
