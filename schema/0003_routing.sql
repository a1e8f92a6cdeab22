-- 0003_routing: what routing rules decide for a request (lib/routing, README "Routing rules").
ALTER TABLE requests ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE requests ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';          -- JSON list
ALTER TABLE requests ADD COLUMN silence TEXT NOT NULL DEFAULT 'none'
  CHECK (silence IN ('acceptance', 'rejection', 'none'));                -- what silence will mean
ALTER TABLE requests ADD COLUMN delay TEXT;                              -- "2 mois"
ALTER TABLE requests ADD COLUMN deemed_decision_on TEXT;                 -- YYYY-MM-DD, lib/calendar
ALTER TABLE requests ADD COLUMN rules TEXT NOT NULL DEFAULT '[]';        -- names of the rules that matched
CREATE INDEX requests_department_agent ON requests (department, agent);
