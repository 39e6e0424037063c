-- Floorwatch schema v12: device rollups past the late-reading horizon, compacted (issue 15).
--
-- A device-minute row costs about 100 bytes at rest (bucket, device, n and four numbers per rolled metric),
-- 7 days of them for 100,000 devices about 100 GB, more than the raw readings once those are compacted.
-- Rows older than raw retention can no longer change (validation refuses a reading older than raw_hours,
-- so no trigger touches them), and server/store/rollup-chunks.ts moves them, one device and window at a
-- time, into one row holding every column of the window as compressed columns (the chunk codec,
-- server/store/chunk-codec.ts): a day of minutes, or a week of hours, per row. History and retention
-- read both. The blob's columns are the rollup table's columns after (bucket, device), in table order;
-- columns only ever get appended (ALTER TABLE ADD COLUMN), so a blob with fewer reads the rest as null.
--
-- rowid tables: a WITHOUT ROWID table stores a blob over ~1/20 of a page in overflow pages and cost 2.9 kB
-- a row more (measured, test/bench/codec.ts). The index on window_start is retention's.

CREATE TABLE rollup_asic_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_asic_minute_chunks_window ON rollup_asic_minute_chunks (window_start, device);
CREATE TABLE rollup_asic_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_asic_hour_chunks_window ON rollup_asic_hour_chunks (window_start, device);
CREATE TABLE rollup_gpu_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_gpu_minute_chunks_window ON rollup_gpu_minute_chunks (window_start, device);
CREATE TABLE rollup_gpu_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_gpu_hour_chunks_window ON rollup_gpu_hour_chunks (window_start, device);
CREATE TABLE rollup_env_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_env_minute_chunks_window ON rollup_env_minute_chunks (window_start, device);
CREATE TABLE rollup_env_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_env_hour_chunks_window ON rollup_env_hour_chunks (window_start, device);
CREATE TABLE rollup_pdu_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_pdu_minute_chunks_window ON rollup_pdu_minute_chunks (window_start, device);
CREATE TABLE rollup_pdu_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_pdu_hour_chunks_window ON rollup_pdu_hour_chunks (window_start, device);
CREATE TABLE rollup_cooling_loop_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_cooling_loop_minute_chunks_window ON rollup_cooling_loop_minute_chunks (window_start, device);
CREATE TABLE rollup_cooling_loop_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_cooling_loop_hour_chunks_window ON rollup_cooling_loop_hour_chunks (window_start, device);
CREATE TABLE rollup_meter_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_meter_minute_chunks_window ON rollup_meter_minute_chunks (window_start, device);
CREATE TABLE rollup_meter_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_meter_hour_chunks_window ON rollup_meter_hour_chunks (window_start, device);
CREATE TABLE rollup_probe_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_probe_minute_chunks_window ON rollup_probe_minute_chunks (window_start, device);
CREATE TABLE rollup_probe_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_probe_hour_chunks_window ON rollup_probe_hour_chunks (window_start, device);
CREATE TABLE rollup_market_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_market_minute_chunks_window ON rollup_market_minute_chunks (window_start, device);
CREATE TABLE rollup_market_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_market_hour_chunks_window ON rollup_market_hour_chunks (window_start, device);
CREATE TABLE rollup_ups_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_ups_minute_chunks_window ON rollup_ups_minute_chunks (window_start, device);
CREATE TABLE rollup_ups_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_ups_hour_chunks_window ON rollup_ups_hour_chunks (window_start, device);
CREATE TABLE rollup_network_link_minute_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_network_link_minute_chunks_window ON rollup_network_link_minute_chunks (window_start, device);
CREATE TABLE rollup_network_link_hour_chunks (device INTEGER NOT NULL, window_start INTEGER NOT NULL, n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start));
CREATE INDEX rollup_network_link_hour_chunks_window ON rollup_network_link_hour_chunks (window_start, device);

-- How far each rollup table is compacted: buckets before `through` are read from the chunks only (their
-- rows left in the table are retention's to delete, in bucket order: deleting one device's rows of a day
-- from a bucket-first table touches a page a row, 26 µs a row against ~2 µs in bucket order, measured);
-- chunks at or after it are ignored (a pass cut short, redone from the table).
CREATE TABLE rollup_chunk_watermark (tbl TEXT PRIMARY KEY, through INTEGER NOT NULL) WITHOUT ROWID;
