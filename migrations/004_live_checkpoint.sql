-- Restart without a false outage (issue 11). Rebuilding the live view by replaying the raw window cost
-- 51-62 s at 100k devices (15 min of rows) and blocked start-up; this keeps what a restart needs:
--
-- live_checkpoint: the live view of each device (its latest reading, metrics merged as the live state
-- merges them, and its last collector failure), written periodically in small slices by the running
-- server, only for devices that changed since the last pass. A restart loads it (one row per device) and
-- replays only the raw rows from runtime.replay_from on.
--
-- runtime: when Floorwatch itself was last known running (a heartbeat), so that after a restart the time
-- it was away is not counted as every device's silence; and the spans it was away, recent ones only.

CREATE TABLE live_checkpoint (
  device        INTEGER PRIMARY KEY,   -- devices.id
  ts            INTEGER NOT NULL,      -- the live view's timestamp (epoch ms)
  power_source  INTEGER,               -- as in samples_*: 0 device, 1 estimate, 2 meter; NULL not said
  metrics       TEXT NOT NULL,         -- JSON object of metric -> number|null (null = the device said null)
  error_reason  TEXT,                  -- last collector failure newer than or as old as ts, else NULL
  error_ts      INTEGER
);

CREATE TABLE runtime (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  running_at   INTEGER NOT NULL,       -- heartbeat: epoch ms Floorwatch was last known running
  replay_from  INTEGER,                -- a restart replays raw rows with ts >= this; NULL = no pass completed yet
  clean        INTEGER NOT NULL DEFAULT 0, -- 1 = stopped cleanly after a final pass: nothing to replay
  offline      TEXT NOT NULL DEFAULT '[]'  -- JSON [[from, to], ...]: recent spans Floorwatch was not running
);
