-- Floorwatch schema v14: device minute rollups of compacted raw windows (issue 15).
--
-- After raw compaction (v13) a device-minute row in rollup_<kind>_minute (about 110 bytes) was most of the
-- file: at 10 s readings a device writes 6 raw readings a minute, which compact to ~0.45 bytes a sample,
-- and one minute row. server/store/compaction.ts now moves a device's minute rows of a compacted window
-- (whole-hour windows only) into one row here, in the same transaction as its raw chunk, with the rollup
-- table's columns after (bucket, device) in the chunk codec; the writer's guard (server/store/chunks.ts)
-- puts them back with the raw rows before a late reading into the window. History and retention read
-- these rows beside the table and the day chunks of v12 (server/store/minute-windows.ts).
--
-- rowid tables, as chunks_<kind> (v13): WITHOUT ROWID put each blob on its own overflow page. The index on
-- window_end is retention's.

CREATE TABLE rollup_asic_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_asic_minute_windows_end ON rollup_asic_minute_windows (window_end, device);

CREATE TABLE rollup_gpu_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_gpu_minute_windows_end ON rollup_gpu_minute_windows (window_end, device);

CREATE TABLE rollup_env_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_env_minute_windows_end ON rollup_env_minute_windows (window_end, device);

CREATE TABLE rollup_pdu_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_pdu_minute_windows_end ON rollup_pdu_minute_windows (window_end, device);

CREATE TABLE rollup_cooling_loop_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_cooling_loop_minute_windows_end ON rollup_cooling_loop_minute_windows (window_end, device);

CREATE TABLE rollup_meter_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_meter_minute_windows_end ON rollup_meter_minute_windows (window_end, device);

CREATE TABLE rollup_probe_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_probe_minute_windows_end ON rollup_probe_minute_windows (window_end, device);

CREATE TABLE rollup_market_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_market_minute_windows_end ON rollup_market_minute_windows (window_end, device);

CREATE TABLE rollup_ups_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_ups_minute_windows_end ON rollup_ups_minute_windows (window_end, device);

CREATE TABLE rollup_network_link_minute_windows (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX rollup_network_link_minute_windows_end ON rollup_network_link_minute_windows (window_end, device);
