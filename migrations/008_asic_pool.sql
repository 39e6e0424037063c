-- Floorwatch schema v8: asic_pool.
--
-- Generated from server/core/vocabulary.ts by: npm run migration:new -- asic_pool
-- Regenerate rather than edit: test/unit/migrate-vocabulary.test.ts checks that the migrations build the
-- declared columns and triggers.
--
-- New device metrics: asic pool_rejected_pct, pool_stale_pct, last_share_age_s; new kind probe: latency_ms (rolled up), loss_pct (rolled up).
-- Rows stored before this hold NULL in the new columns (not known, never 0), and rollup rows a count of 0.
-- Each changed kind's samples_<kind>_replace trigger is re-created: it tells an identical duplicate by
-- comparing every raw column, and without the new ones it would drop a reading that differs only in them.
-- The triggers go before the ALTERs: SQLite re-checks triggers on ALTER TABLE (RENAME and DROP COLUMN fail
-- on the replace trigger with "no such column: r.n"; ADD COLUMN passes, but nothing depends on that).

-- asic
DROP TRIGGER samples_asic_replace;
ALTER TABLE samples_asic ADD COLUMN pool_rejected_pct REAL;
ALTER TABLE samples_asic ADD COLUMN pool_stale_pct REAL;
ALTER TABLE samples_asic ADD COLUMN last_share_age_s REAL;

CREATE TRIGGER samples_asic_replace BEFORE INSERT ON samples_asic
WHEN EXISTS (SELECT 1 FROM samples_asic WHERE ts = NEW.ts AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_asic AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.hashrate_ths IS NEW.hashrate_ths AND o.power_w IS NEW.power_w AND o.chip_temp_c IS NEW.chip_temp_c AND o.board_temp_c IS NEW.board_temp_c AND o.inlet_temp_c IS NEW.inlet_temp_c AND o.outlet_temp_c IS NEW.outlet_temp_c AND o.fan_rpm IS NEW.fan_rpm AND o.accepted_shares IS NEW.accepted_shares AND o.rejected_shares IS NEW.rejected_shares AND o.hw_errors IS NEW.hw_errors AND o.chains_ok IS NEW.chains_ok AND o.chains_total IS NEW.chains_total AND o.uptime_s IS NEW.uptime_s AND o.fan_min_rpm IS NEW.fan_min_rpm AND o.nameplate_ths IS NEW.nameplate_ths AND o.pool_rejected_pct IS NEW.pool_rejected_pct AND o.pool_stale_pct IS NEW.pool_stale_pct AND o.last_share_age_s IS NEW.last_share_age_s;
  UPDATE rollup_asic_minute AS r SET n = r.n - 1,
    hashrate_ths_sum = r.hashrate_ths_sum - coalesce(o.hashrate_ths, 0), hashrate_ths_cnt = r.hashrate_ths_cnt - (o.hashrate_ths IS NOT NULL),
    power_w_sum = r.power_w_sum - coalesce(o.power_w, 0), power_w_cnt = r.power_w_cnt - (o.power_w IS NOT NULL),
    chip_temp_c_sum = r.chip_temp_c_sum - coalesce(o.chip_temp_c, 0), chip_temp_c_cnt = r.chip_temp_c_cnt - (o.chip_temp_c IS NOT NULL),
    inlet_temp_c_sum = r.inlet_temp_c_sum - coalesce(o.inlet_temp_c, 0), inlet_temp_c_cnt = r.inlet_temp_c_cnt - (o.inlet_temp_c IS NOT NULL),
    (hashrate_ths_min, hashrate_ths_max, power_w_min, power_w_max, chip_temp_c_min, chip_temp_c_max, inlet_temp_c_min, inlet_temp_c_max) =
    (SELECT min(hashrate_ths), max(hashrate_ths), min(power_w), max(power_w), min(chip_temp_c), max(chip_temp_c), min(inlet_temp_c), max(inlet_temp_c) FROM samples_asic AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_asic AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_asic_hour AS r SET n = r.n - 1,
    hashrate_ths_sum = r.hashrate_ths_sum - coalesce(o.hashrate_ths, 0), hashrate_ths_cnt = r.hashrate_ths_cnt - (o.hashrate_ths IS NOT NULL),
    power_w_sum = r.power_w_sum - coalesce(o.power_w, 0), power_w_cnt = r.power_w_cnt - (o.power_w IS NOT NULL),
    chip_temp_c_sum = r.chip_temp_c_sum - coalesce(o.chip_temp_c, 0), chip_temp_c_cnt = r.chip_temp_c_cnt - (o.chip_temp_c IS NOT NULL),
    inlet_temp_c_sum = r.inlet_temp_c_sum - coalesce(o.inlet_temp_c, 0), inlet_temp_c_cnt = r.inlet_temp_c_cnt - (o.inlet_temp_c IS NOT NULL),
    (hashrate_ths_min, hashrate_ths_max, power_w_min, power_w_max, chip_temp_c_min, chip_temp_c_max, inlet_temp_c_min, inlet_temp_c_max) =
    (SELECT min(hashrate_ths_min), max(hashrate_ths_max), min(power_w_min), max(power_w_max), min(chip_temp_c_min), max(chip_temp_c_max), min(inlet_temp_c_min), max(inlet_temp_c_max) FROM rollup_asic_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_asic AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

-- probe
CREATE TABLE samples_probe (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  latency_ms REAL, loss_pct REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE rollup_probe_minute (
  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,
  latency_ms_sum REAL, latency_ms_cnt INTEGER NOT NULL DEFAULT 0, latency_ms_min REAL, latency_ms_max REAL,
  loss_pct_sum REAL, loss_pct_cnt INTEGER NOT NULL DEFAULT 0, loss_pct_min REAL, loss_pct_max REAL,
  PRIMARY KEY (bucket, device)
) WITHOUT ROWID;

CREATE TABLE rollup_probe_hour (
  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,
  latency_ms_sum REAL, latency_ms_cnt INTEGER NOT NULL DEFAULT 0, latency_ms_min REAL, latency_ms_max REAL,
  loss_pct_sum REAL, loss_pct_cnt INTEGER NOT NULL DEFAULT 0, loss_pct_min REAL, loss_pct_max REAL,
  PRIMARY KEY (bucket, device)
) WITHOUT ROWID;

CREATE TRIGGER samples_probe_replace BEFORE INSERT ON samples_probe
WHEN EXISTS (SELECT 1 FROM samples_probe WHERE ts = NEW.ts AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_probe AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.latency_ms IS NEW.latency_ms AND o.loss_pct IS NEW.loss_pct;
  UPDATE rollup_probe_minute AS r SET n = r.n - 1,
    latency_ms_sum = r.latency_ms_sum - coalesce(o.latency_ms, 0), latency_ms_cnt = r.latency_ms_cnt - (o.latency_ms IS NOT NULL),
    loss_pct_sum = r.loss_pct_sum - coalesce(o.loss_pct, 0), loss_pct_cnt = r.loss_pct_cnt - (o.loss_pct IS NOT NULL),
    (latency_ms_min, latency_ms_max, loss_pct_min, loss_pct_max) =
    (SELECT min(latency_ms), max(latency_ms), min(loss_pct), max(loss_pct) FROM samples_probe AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_probe AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_probe_hour AS r SET n = r.n - 1,
    latency_ms_sum = r.latency_ms_sum - coalesce(o.latency_ms, 0), latency_ms_cnt = r.latency_ms_cnt - (o.latency_ms IS NOT NULL),
    loss_pct_sum = r.loss_pct_sum - coalesce(o.loss_pct, 0), loss_pct_cnt = r.loss_pct_cnt - (o.loss_pct IS NOT NULL),
    (latency_ms_min, latency_ms_max, loss_pct_min, loss_pct_max) =
    (SELECT min(latency_ms_min), max(latency_ms_max), min(loss_pct_min), max(loss_pct_max) FROM rollup_probe_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_probe AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_probe_rollup AFTER INSERT ON samples_probe
BEGIN
  INSERT INTO rollup_probe_minute (bucket, device, n, latency_ms_sum, latency_ms_cnt, latency_ms_min, latency_ms_max, loss_pct_sum, loss_pct_cnt, loss_pct_min, loss_pct_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.latency_ms, NEW.latency_ms IS NOT NULL, NEW.latency_ms, NEW.latency_ms, NEW.loss_pct, NEW.loss_pct IS NOT NULL, NEW.loss_pct, NEW.loss_pct)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    latency_ms_sum = coalesce(latency_ms_sum + excluded.latency_ms_sum, latency_ms_sum, excluded.latency_ms_sum), latency_ms_cnt = latency_ms_cnt + excluded.latency_ms_cnt,
    latency_ms_min = coalesce(min(latency_ms_min, excluded.latency_ms_min), latency_ms_min, excluded.latency_ms_min), latency_ms_max = coalesce(max(latency_ms_max, excluded.latency_ms_max), latency_ms_max, excluded.latency_ms_max),
    loss_pct_sum = coalesce(loss_pct_sum + excluded.loss_pct_sum, loss_pct_sum, excluded.loss_pct_sum), loss_pct_cnt = loss_pct_cnt + excluded.loss_pct_cnt,
    loss_pct_min = coalesce(min(loss_pct_min, excluded.loss_pct_min), loss_pct_min, excluded.loss_pct_min), loss_pct_max = coalesce(max(loss_pct_max, excluded.loss_pct_max), loss_pct_max, excluded.loss_pct_max);
  INSERT INTO rollup_probe_hour (bucket, device, n, latency_ms_sum, latency_ms_cnt, latency_ms_min, latency_ms_max, loss_pct_sum, loss_pct_cnt, loss_pct_min, loss_pct_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.latency_ms, NEW.latency_ms IS NOT NULL, NEW.latency_ms, NEW.latency_ms, NEW.loss_pct, NEW.loss_pct IS NOT NULL, NEW.loss_pct, NEW.loss_pct)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    latency_ms_sum = coalesce(latency_ms_sum + excluded.latency_ms_sum, latency_ms_sum, excluded.latency_ms_sum), latency_ms_cnt = latency_ms_cnt + excluded.latency_ms_cnt,
    latency_ms_min = coalesce(min(latency_ms_min, excluded.latency_ms_min), latency_ms_min, excluded.latency_ms_min), latency_ms_max = coalesce(max(latency_ms_max, excluded.latency_ms_max), latency_ms_max, excluded.latency_ms_max),
    loss_pct_sum = coalesce(loss_pct_sum + excluded.loss_pct_sum, loss_pct_sum, excluded.loss_pct_sum), loss_pct_cnt = loss_pct_cnt + excluded.loss_pct_cnt,
    loss_pct_min = coalesce(min(loss_pct_min, excluded.loss_pct_min), loss_pct_min, excluded.loss_pct_min), loss_pct_max = coalesce(max(loss_pct_max, excluded.loss_pct_max), loss_pct_max, excluded.loss_pct_max);
END;
