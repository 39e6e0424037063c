-- Curtailment events (issue 16): what an operator or a programme's dispatch asked a scope to shed, posted
-- through POST /api/v1/curtailments, and their audit trail (who posted or cancelled it, with their note).
-- Exactly one target: a reduction (kW to shed) or a ceiling (kW not to exceed). `figures` holds the event's
-- figures as JSON once it has ended, so a restart still lists what it achieved.

CREATE TABLE curtailment_event (
  id                   TEXT PRIMARY KEY,
  scope                TEXT NOT NULL,
  target_reduction_kw  REAL,
  target_ceiling_kw    REAL,
  start                INTEGER NOT NULL,
  "end"                INTEGER NOT NULL,
  program              TEXT,
  note                 TEXT,
  created_at           INTEGER NOT NULL,
  created_by           TEXT NOT NULL,
  cancelled_at         INTEGER,
  cancelled_by         TEXT,
  figures              TEXT,
  CHECK ((target_reduction_kw IS NULL) <> (target_ceiling_kw IS NULL)),
  CHECK ("end" > start)
);
CREATE INDEX curtailment_event_by_end ON curtailment_event ("end");

CREATE TABLE curtailment_audit (
  id        INTEGER PRIMARY KEY,
  ts        INTEGER NOT NULL,
  event_id  TEXT NOT NULL,
  action    TEXT NOT NULL CHECK (action IN ('create', 'cancel')),
  actor     TEXT NOT NULL,
  note      TEXT NOT NULL
);
CREATE INDEX curtailment_audit_by_event ON curtailment_audit (event_id, ts);
