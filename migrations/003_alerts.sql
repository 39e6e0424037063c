-- Alert engine state (so pending/firing alerts, shelves and XID memory survive a restart) and the
-- audit trail of operator actions on alerts.

CREATE TABLE alert_state (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  saved_at  INTEGER NOT NULL,
  snapshot  TEXT NOT NULL
);

CREATE TABLE alert_audit (
  id      INTEGER PRIMARY KEY,
  ts      INTEGER NOT NULL,
  key     TEXT NOT NULL,
  action  TEXT NOT NULL CHECK (action IN ('acknowledge', 'shelve', 'unshelve')),
  actor   TEXT NOT NULL,
  note    TEXT NOT NULL,
  until   INTEGER
);
CREATE INDEX alert_audit_by_key ON alert_audit (key, ts);
