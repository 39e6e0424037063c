-- Floorwatch schema v13: chunks (issue 15).
--
-- The compact raw store: compaction (server/store/compaction.ts) moves each closed window of a device's raw
-- rows into one chunks_<kind> row, every column in one compressed blob (server/store/chunk-codec.ts).
-- chunk_inflating holds a marker while a compacted window's rows are put back into samples_<kind> before a
-- late reading into that window (server/store/chunks.ts); both device-rollup triggers of every kind are
-- re-created to skip rows while their (kind, device) has a marker, since those rows were already counted
-- when they first arrived. Deleting raw rows never touched the rollups (there are no DELETE triggers).
-- The trigger SQL is server/store/device-rollup-sql.ts's (test/unit/migrate-vocabulary.test.ts checks it).

CREATE TABLE chunk_inflating (
  kind TEXT NOT NULL, device INTEGER NOT NULL,
  PRIMARY KEY (kind, device)
) WITHOUT ROWID;

-- asic
CREATE TABLE chunks_asic (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_asic_end ON chunks_asic (window_end, device);
DROP TRIGGER samples_asic_replace;
DROP TRIGGER samples_asic_rollup;

CREATE TRIGGER samples_asic_replace BEFORE INSERT ON samples_asic
WHEN EXISTS (SELECT 1 FROM samples_asic WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'asic' AND device = NEW.device)
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

CREATE TRIGGER samples_asic_rollup AFTER INSERT ON samples_asic
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'asic' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_asic_minute (bucket, device, n, hashrate_ths_sum, hashrate_ths_cnt, hashrate_ths_min, hashrate_ths_max, power_w_sum, power_w_cnt, power_w_min, power_w_max, chip_temp_c_sum, chip_temp_c_cnt, chip_temp_c_min, chip_temp_c_max, inlet_temp_c_sum, inlet_temp_c_cnt, inlet_temp_c_min, inlet_temp_c_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.hashrate_ths, NEW.hashrate_ths IS NOT NULL, NEW.hashrate_ths, NEW.hashrate_ths, NEW.power_w, NEW.power_w IS NOT NULL, NEW.power_w, NEW.power_w, NEW.chip_temp_c, NEW.chip_temp_c IS NOT NULL, NEW.chip_temp_c, NEW.chip_temp_c, NEW.inlet_temp_c, NEW.inlet_temp_c IS NOT NULL, NEW.inlet_temp_c, NEW.inlet_temp_c)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    hashrate_ths_sum = coalesce(hashrate_ths_sum + excluded.hashrate_ths_sum, hashrate_ths_sum, excluded.hashrate_ths_sum), hashrate_ths_cnt = hashrate_ths_cnt + excluded.hashrate_ths_cnt,
    hashrate_ths_min = coalesce(min(hashrate_ths_min, excluded.hashrate_ths_min), hashrate_ths_min, excluded.hashrate_ths_min), hashrate_ths_max = coalesce(max(hashrate_ths_max, excluded.hashrate_ths_max), hashrate_ths_max, excluded.hashrate_ths_max),
    power_w_sum = coalesce(power_w_sum + excluded.power_w_sum, power_w_sum, excluded.power_w_sum), power_w_cnt = power_w_cnt + excluded.power_w_cnt,
    power_w_min = coalesce(min(power_w_min, excluded.power_w_min), power_w_min, excluded.power_w_min), power_w_max = coalesce(max(power_w_max, excluded.power_w_max), power_w_max, excluded.power_w_max),
    chip_temp_c_sum = coalesce(chip_temp_c_sum + excluded.chip_temp_c_sum, chip_temp_c_sum, excluded.chip_temp_c_sum), chip_temp_c_cnt = chip_temp_c_cnt + excluded.chip_temp_c_cnt,
    chip_temp_c_min = coalesce(min(chip_temp_c_min, excluded.chip_temp_c_min), chip_temp_c_min, excluded.chip_temp_c_min), chip_temp_c_max = coalesce(max(chip_temp_c_max, excluded.chip_temp_c_max), chip_temp_c_max, excluded.chip_temp_c_max),
    inlet_temp_c_sum = coalesce(inlet_temp_c_sum + excluded.inlet_temp_c_sum, inlet_temp_c_sum, excluded.inlet_temp_c_sum), inlet_temp_c_cnt = inlet_temp_c_cnt + excluded.inlet_temp_c_cnt,
    inlet_temp_c_min = coalesce(min(inlet_temp_c_min, excluded.inlet_temp_c_min), inlet_temp_c_min, excluded.inlet_temp_c_min), inlet_temp_c_max = coalesce(max(inlet_temp_c_max, excluded.inlet_temp_c_max), inlet_temp_c_max, excluded.inlet_temp_c_max);
  INSERT INTO rollup_asic_hour (bucket, device, n, hashrate_ths_sum, hashrate_ths_cnt, hashrate_ths_min, hashrate_ths_max, power_w_sum, power_w_cnt, power_w_min, power_w_max, chip_temp_c_sum, chip_temp_c_cnt, chip_temp_c_min, chip_temp_c_max, inlet_temp_c_sum, inlet_temp_c_cnt, inlet_temp_c_min, inlet_temp_c_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.hashrate_ths, NEW.hashrate_ths IS NOT NULL, NEW.hashrate_ths, NEW.hashrate_ths, NEW.power_w, NEW.power_w IS NOT NULL, NEW.power_w, NEW.power_w, NEW.chip_temp_c, NEW.chip_temp_c IS NOT NULL, NEW.chip_temp_c, NEW.chip_temp_c, NEW.inlet_temp_c, NEW.inlet_temp_c IS NOT NULL, NEW.inlet_temp_c, NEW.inlet_temp_c)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    hashrate_ths_sum = coalesce(hashrate_ths_sum + excluded.hashrate_ths_sum, hashrate_ths_sum, excluded.hashrate_ths_sum), hashrate_ths_cnt = hashrate_ths_cnt + excluded.hashrate_ths_cnt,
    hashrate_ths_min = coalesce(min(hashrate_ths_min, excluded.hashrate_ths_min), hashrate_ths_min, excluded.hashrate_ths_min), hashrate_ths_max = coalesce(max(hashrate_ths_max, excluded.hashrate_ths_max), hashrate_ths_max, excluded.hashrate_ths_max),
    power_w_sum = coalesce(power_w_sum + excluded.power_w_sum, power_w_sum, excluded.power_w_sum), power_w_cnt = power_w_cnt + excluded.power_w_cnt,
    power_w_min = coalesce(min(power_w_min, excluded.power_w_min), power_w_min, excluded.power_w_min), power_w_max = coalesce(max(power_w_max, excluded.power_w_max), power_w_max, excluded.power_w_max),
    chip_temp_c_sum = coalesce(chip_temp_c_sum + excluded.chip_temp_c_sum, chip_temp_c_sum, excluded.chip_temp_c_sum), chip_temp_c_cnt = chip_temp_c_cnt + excluded.chip_temp_c_cnt,
    chip_temp_c_min = coalesce(min(chip_temp_c_min, excluded.chip_temp_c_min), chip_temp_c_min, excluded.chip_temp_c_min), chip_temp_c_max = coalesce(max(chip_temp_c_max, excluded.chip_temp_c_max), chip_temp_c_max, excluded.chip_temp_c_max),
    inlet_temp_c_sum = coalesce(inlet_temp_c_sum + excluded.inlet_temp_c_sum, inlet_temp_c_sum, excluded.inlet_temp_c_sum), inlet_temp_c_cnt = inlet_temp_c_cnt + excluded.inlet_temp_c_cnt,
    inlet_temp_c_min = coalesce(min(inlet_temp_c_min, excluded.inlet_temp_c_min), inlet_temp_c_min, excluded.inlet_temp_c_min), inlet_temp_c_max = coalesce(max(inlet_temp_c_max, excluded.inlet_temp_c_max), inlet_temp_c_max, excluded.inlet_temp_c_max);
END;

-- gpu
CREATE TABLE chunks_gpu (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_gpu_end ON chunks_gpu (window_end, device);
DROP TRIGGER samples_gpu_replace;
DROP TRIGGER samples_gpu_rollup;

CREATE TRIGGER samples_gpu_replace BEFORE INSERT ON samples_gpu
WHEN EXISTS (SELECT 1 FROM samples_gpu WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'gpu' AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_gpu AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.util_pct IS NEW.util_pct AND o.mem_util_pct IS NEW.mem_util_pct AND o.mem_used_mib IS NEW.mem_used_mib AND o.mem_total_mib IS NEW.mem_total_mib AND o.power_w IS NEW.power_w AND o.power_limit_w IS NEW.power_limit_w AND o.temp_c IS NEW.temp_c AND o.mem_temp_c IS NEW.mem_temp_c AND o.sm_clock_mhz IS NEW.sm_clock_mhz AND o.throttle_thermal IS NEW.throttle_thermal AND o.throttle_power IS NEW.throttle_power AND o.xid_last IS NEW.xid_last AND o.ecc_dbe_total IS NEW.ecc_dbe_total;
  UPDATE rollup_gpu_minute AS r SET n = r.n - 1,
    util_pct_sum = r.util_pct_sum - coalesce(o.util_pct, 0), util_pct_cnt = r.util_pct_cnt - (o.util_pct IS NOT NULL),
    power_w_sum = r.power_w_sum - coalesce(o.power_w, 0), power_w_cnt = r.power_w_cnt - (o.power_w IS NOT NULL),
    temp_c_sum = r.temp_c_sum - coalesce(o.temp_c, 0), temp_c_cnt = r.temp_c_cnt - (o.temp_c IS NOT NULL),
    mem_temp_c_sum = r.mem_temp_c_sum - coalesce(o.mem_temp_c, 0), mem_temp_c_cnt = r.mem_temp_c_cnt - (o.mem_temp_c IS NOT NULL),
    (util_pct_min, util_pct_max, power_w_min, power_w_max, temp_c_min, temp_c_max, mem_temp_c_min, mem_temp_c_max) =
    (SELECT min(util_pct), max(util_pct), min(power_w), max(power_w), min(temp_c), max(temp_c), min(mem_temp_c), max(mem_temp_c) FROM samples_gpu AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_gpu AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_gpu_hour AS r SET n = r.n - 1,
    util_pct_sum = r.util_pct_sum - coalesce(o.util_pct, 0), util_pct_cnt = r.util_pct_cnt - (o.util_pct IS NOT NULL),
    power_w_sum = r.power_w_sum - coalesce(o.power_w, 0), power_w_cnt = r.power_w_cnt - (o.power_w IS NOT NULL),
    temp_c_sum = r.temp_c_sum - coalesce(o.temp_c, 0), temp_c_cnt = r.temp_c_cnt - (o.temp_c IS NOT NULL),
    mem_temp_c_sum = r.mem_temp_c_sum - coalesce(o.mem_temp_c, 0), mem_temp_c_cnt = r.mem_temp_c_cnt - (o.mem_temp_c IS NOT NULL),
    (util_pct_min, util_pct_max, power_w_min, power_w_max, temp_c_min, temp_c_max, mem_temp_c_min, mem_temp_c_max) =
    (SELECT min(util_pct_min), max(util_pct_max), min(power_w_min), max(power_w_max), min(temp_c_min), max(temp_c_max), min(mem_temp_c_min), max(mem_temp_c_max) FROM rollup_gpu_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_gpu AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_gpu_rollup AFTER INSERT ON samples_gpu
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'gpu' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_gpu_minute (bucket, device, n, util_pct_sum, util_pct_cnt, util_pct_min, util_pct_max, power_w_sum, power_w_cnt, power_w_min, power_w_max, temp_c_sum, temp_c_cnt, temp_c_min, temp_c_max, mem_temp_c_sum, mem_temp_c_cnt, mem_temp_c_min, mem_temp_c_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.util_pct, NEW.util_pct IS NOT NULL, NEW.util_pct, NEW.util_pct, NEW.power_w, NEW.power_w IS NOT NULL, NEW.power_w, NEW.power_w, NEW.temp_c, NEW.temp_c IS NOT NULL, NEW.temp_c, NEW.temp_c, NEW.mem_temp_c, NEW.mem_temp_c IS NOT NULL, NEW.mem_temp_c, NEW.mem_temp_c)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    util_pct_sum = coalesce(util_pct_sum + excluded.util_pct_sum, util_pct_sum, excluded.util_pct_sum), util_pct_cnt = util_pct_cnt + excluded.util_pct_cnt,
    util_pct_min = coalesce(min(util_pct_min, excluded.util_pct_min), util_pct_min, excluded.util_pct_min), util_pct_max = coalesce(max(util_pct_max, excluded.util_pct_max), util_pct_max, excluded.util_pct_max),
    power_w_sum = coalesce(power_w_sum + excluded.power_w_sum, power_w_sum, excluded.power_w_sum), power_w_cnt = power_w_cnt + excluded.power_w_cnt,
    power_w_min = coalesce(min(power_w_min, excluded.power_w_min), power_w_min, excluded.power_w_min), power_w_max = coalesce(max(power_w_max, excluded.power_w_max), power_w_max, excluded.power_w_max),
    temp_c_sum = coalesce(temp_c_sum + excluded.temp_c_sum, temp_c_sum, excluded.temp_c_sum), temp_c_cnt = temp_c_cnt + excluded.temp_c_cnt,
    temp_c_min = coalesce(min(temp_c_min, excluded.temp_c_min), temp_c_min, excluded.temp_c_min), temp_c_max = coalesce(max(temp_c_max, excluded.temp_c_max), temp_c_max, excluded.temp_c_max),
    mem_temp_c_sum = coalesce(mem_temp_c_sum + excluded.mem_temp_c_sum, mem_temp_c_sum, excluded.mem_temp_c_sum), mem_temp_c_cnt = mem_temp_c_cnt + excluded.mem_temp_c_cnt,
    mem_temp_c_min = coalesce(min(mem_temp_c_min, excluded.mem_temp_c_min), mem_temp_c_min, excluded.mem_temp_c_min), mem_temp_c_max = coalesce(max(mem_temp_c_max, excluded.mem_temp_c_max), mem_temp_c_max, excluded.mem_temp_c_max);
  INSERT INTO rollup_gpu_hour (bucket, device, n, util_pct_sum, util_pct_cnt, util_pct_min, util_pct_max, power_w_sum, power_w_cnt, power_w_min, power_w_max, temp_c_sum, temp_c_cnt, temp_c_min, temp_c_max, mem_temp_c_sum, mem_temp_c_cnt, mem_temp_c_min, mem_temp_c_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.util_pct, NEW.util_pct IS NOT NULL, NEW.util_pct, NEW.util_pct, NEW.power_w, NEW.power_w IS NOT NULL, NEW.power_w, NEW.power_w, NEW.temp_c, NEW.temp_c IS NOT NULL, NEW.temp_c, NEW.temp_c, NEW.mem_temp_c, NEW.mem_temp_c IS NOT NULL, NEW.mem_temp_c, NEW.mem_temp_c)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    util_pct_sum = coalesce(util_pct_sum + excluded.util_pct_sum, util_pct_sum, excluded.util_pct_sum), util_pct_cnt = util_pct_cnt + excluded.util_pct_cnt,
    util_pct_min = coalesce(min(util_pct_min, excluded.util_pct_min), util_pct_min, excluded.util_pct_min), util_pct_max = coalesce(max(util_pct_max, excluded.util_pct_max), util_pct_max, excluded.util_pct_max),
    power_w_sum = coalesce(power_w_sum + excluded.power_w_sum, power_w_sum, excluded.power_w_sum), power_w_cnt = power_w_cnt + excluded.power_w_cnt,
    power_w_min = coalesce(min(power_w_min, excluded.power_w_min), power_w_min, excluded.power_w_min), power_w_max = coalesce(max(power_w_max, excluded.power_w_max), power_w_max, excluded.power_w_max),
    temp_c_sum = coalesce(temp_c_sum + excluded.temp_c_sum, temp_c_sum, excluded.temp_c_sum), temp_c_cnt = temp_c_cnt + excluded.temp_c_cnt,
    temp_c_min = coalesce(min(temp_c_min, excluded.temp_c_min), temp_c_min, excluded.temp_c_min), temp_c_max = coalesce(max(temp_c_max, excluded.temp_c_max), temp_c_max, excluded.temp_c_max),
    mem_temp_c_sum = coalesce(mem_temp_c_sum + excluded.mem_temp_c_sum, mem_temp_c_sum, excluded.mem_temp_c_sum), mem_temp_c_cnt = mem_temp_c_cnt + excluded.mem_temp_c_cnt,
    mem_temp_c_min = coalesce(min(mem_temp_c_min, excluded.mem_temp_c_min), mem_temp_c_min, excluded.mem_temp_c_min), mem_temp_c_max = coalesce(max(mem_temp_c_max, excluded.mem_temp_c_max), mem_temp_c_max, excluded.mem_temp_c_max);
END;

-- env
CREATE TABLE chunks_env (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_env_end ON chunks_env (window_end, device);
DROP TRIGGER samples_env_replace;
DROP TRIGGER samples_env_rollup;

CREATE TRIGGER samples_env_replace BEFORE INSERT ON samples_env
WHEN EXISTS (SELECT 1 FROM samples_env WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'env' AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_env AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.inlet_temp_c IS NEW.inlet_temp_c AND o.outlet_temp_c IS NEW.outlet_temp_c AND o.humidity_pct IS NEW.humidity_pct;
  UPDATE rollup_env_minute AS r SET n = r.n - 1,
    inlet_temp_c_sum = r.inlet_temp_c_sum - coalesce(o.inlet_temp_c, 0), inlet_temp_c_cnt = r.inlet_temp_c_cnt - (o.inlet_temp_c IS NOT NULL),
    outlet_temp_c_sum = r.outlet_temp_c_sum - coalesce(o.outlet_temp_c, 0), outlet_temp_c_cnt = r.outlet_temp_c_cnt - (o.outlet_temp_c IS NOT NULL),
    (inlet_temp_c_min, inlet_temp_c_max, outlet_temp_c_min, outlet_temp_c_max) =
    (SELECT min(inlet_temp_c), max(inlet_temp_c), min(outlet_temp_c), max(outlet_temp_c) FROM samples_env AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_env AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_env_hour AS r SET n = r.n - 1,
    inlet_temp_c_sum = r.inlet_temp_c_sum - coalesce(o.inlet_temp_c, 0), inlet_temp_c_cnt = r.inlet_temp_c_cnt - (o.inlet_temp_c IS NOT NULL),
    outlet_temp_c_sum = r.outlet_temp_c_sum - coalesce(o.outlet_temp_c, 0), outlet_temp_c_cnt = r.outlet_temp_c_cnt - (o.outlet_temp_c IS NOT NULL),
    (inlet_temp_c_min, inlet_temp_c_max, outlet_temp_c_min, outlet_temp_c_max) =
    (SELECT min(inlet_temp_c_min), max(inlet_temp_c_max), min(outlet_temp_c_min), max(outlet_temp_c_max) FROM rollup_env_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_env AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_env_rollup AFTER INSERT ON samples_env
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'env' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_env_minute (bucket, device, n, inlet_temp_c_sum, inlet_temp_c_cnt, inlet_temp_c_min, inlet_temp_c_max, outlet_temp_c_sum, outlet_temp_c_cnt, outlet_temp_c_min, outlet_temp_c_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.inlet_temp_c, NEW.inlet_temp_c IS NOT NULL, NEW.inlet_temp_c, NEW.inlet_temp_c, NEW.outlet_temp_c, NEW.outlet_temp_c IS NOT NULL, NEW.outlet_temp_c, NEW.outlet_temp_c)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    inlet_temp_c_sum = coalesce(inlet_temp_c_sum + excluded.inlet_temp_c_sum, inlet_temp_c_sum, excluded.inlet_temp_c_sum), inlet_temp_c_cnt = inlet_temp_c_cnt + excluded.inlet_temp_c_cnt,
    inlet_temp_c_min = coalesce(min(inlet_temp_c_min, excluded.inlet_temp_c_min), inlet_temp_c_min, excluded.inlet_temp_c_min), inlet_temp_c_max = coalesce(max(inlet_temp_c_max, excluded.inlet_temp_c_max), inlet_temp_c_max, excluded.inlet_temp_c_max),
    outlet_temp_c_sum = coalesce(outlet_temp_c_sum + excluded.outlet_temp_c_sum, outlet_temp_c_sum, excluded.outlet_temp_c_sum), outlet_temp_c_cnt = outlet_temp_c_cnt + excluded.outlet_temp_c_cnt,
    outlet_temp_c_min = coalesce(min(outlet_temp_c_min, excluded.outlet_temp_c_min), outlet_temp_c_min, excluded.outlet_temp_c_min), outlet_temp_c_max = coalesce(max(outlet_temp_c_max, excluded.outlet_temp_c_max), outlet_temp_c_max, excluded.outlet_temp_c_max);
  INSERT INTO rollup_env_hour (bucket, device, n, inlet_temp_c_sum, inlet_temp_c_cnt, inlet_temp_c_min, inlet_temp_c_max, outlet_temp_c_sum, outlet_temp_c_cnt, outlet_temp_c_min, outlet_temp_c_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.inlet_temp_c, NEW.inlet_temp_c IS NOT NULL, NEW.inlet_temp_c, NEW.inlet_temp_c, NEW.outlet_temp_c, NEW.outlet_temp_c IS NOT NULL, NEW.outlet_temp_c, NEW.outlet_temp_c)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    inlet_temp_c_sum = coalesce(inlet_temp_c_sum + excluded.inlet_temp_c_sum, inlet_temp_c_sum, excluded.inlet_temp_c_sum), inlet_temp_c_cnt = inlet_temp_c_cnt + excluded.inlet_temp_c_cnt,
    inlet_temp_c_min = coalesce(min(inlet_temp_c_min, excluded.inlet_temp_c_min), inlet_temp_c_min, excluded.inlet_temp_c_min), inlet_temp_c_max = coalesce(max(inlet_temp_c_max, excluded.inlet_temp_c_max), inlet_temp_c_max, excluded.inlet_temp_c_max),
    outlet_temp_c_sum = coalesce(outlet_temp_c_sum + excluded.outlet_temp_c_sum, outlet_temp_c_sum, excluded.outlet_temp_c_sum), outlet_temp_c_cnt = outlet_temp_c_cnt + excluded.outlet_temp_c_cnt,
    outlet_temp_c_min = coalesce(min(outlet_temp_c_min, excluded.outlet_temp_c_min), outlet_temp_c_min, excluded.outlet_temp_c_min), outlet_temp_c_max = coalesce(max(outlet_temp_c_max, excluded.outlet_temp_c_max), outlet_temp_c_max, excluded.outlet_temp_c_max);
END;

-- pdu
CREATE TABLE chunks_pdu (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_pdu_end ON chunks_pdu (window_end, device);
DROP TRIGGER samples_pdu_replace;
DROP TRIGGER samples_pdu_rollup;

CREATE TRIGGER samples_pdu_replace BEFORE INSERT ON samples_pdu
WHEN EXISTS (SELECT 1 FROM samples_pdu WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'pdu' AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_pdu AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.power_w IS NEW.power_w AND o.feed_a_w IS NEW.feed_a_w AND o.feed_b_w IS NEW.feed_b_w AND o.current_a IS NEW.current_a AND o.max_phase_current_a IS NEW.max_phase_current_a;
  UPDATE rollup_pdu_minute AS r SET n = r.n - 1,
    power_w_sum = r.power_w_sum - coalesce(o.power_w, 0), power_w_cnt = r.power_w_cnt - (o.power_w IS NOT NULL),
    (power_w_min, power_w_max) =
    (SELECT min(power_w), max(power_w) FROM samples_pdu AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_pdu AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_pdu_hour AS r SET n = r.n - 1,
    power_w_sum = r.power_w_sum - coalesce(o.power_w, 0), power_w_cnt = r.power_w_cnt - (o.power_w IS NOT NULL),
    (power_w_min, power_w_max) =
    (SELECT min(power_w_min), max(power_w_max) FROM rollup_pdu_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_pdu AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_pdu_rollup AFTER INSERT ON samples_pdu
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'pdu' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_pdu_minute (bucket, device, n, power_w_sum, power_w_cnt, power_w_min, power_w_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.power_w, NEW.power_w IS NOT NULL, NEW.power_w, NEW.power_w)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    power_w_sum = coalesce(power_w_sum + excluded.power_w_sum, power_w_sum, excluded.power_w_sum), power_w_cnt = power_w_cnt + excluded.power_w_cnt,
    power_w_min = coalesce(min(power_w_min, excluded.power_w_min), power_w_min, excluded.power_w_min), power_w_max = coalesce(max(power_w_max, excluded.power_w_max), power_w_max, excluded.power_w_max);
  INSERT INTO rollup_pdu_hour (bucket, device, n, power_w_sum, power_w_cnt, power_w_min, power_w_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.power_w, NEW.power_w IS NOT NULL, NEW.power_w, NEW.power_w)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    power_w_sum = coalesce(power_w_sum + excluded.power_w_sum, power_w_sum, excluded.power_w_sum), power_w_cnt = power_w_cnt + excluded.power_w_cnt,
    power_w_min = coalesce(min(power_w_min, excluded.power_w_min), power_w_min, excluded.power_w_min), power_w_max = coalesce(max(power_w_max, excluded.power_w_max), power_w_max, excluded.power_w_max);
END;

-- cooling_loop
CREATE TABLE chunks_cooling_loop (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_cooling_loop_end ON chunks_cooling_loop (window_end, device);
DROP TRIGGER samples_cooling_loop_replace;
DROP TRIGGER samples_cooling_loop_rollup;

CREATE TRIGGER samples_cooling_loop_replace BEFORE INSERT ON samples_cooling_loop
WHEN EXISTS (SELECT 1 FROM samples_cooling_loop WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'cooling_loop' AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_cooling_loop AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.supply_temp_c IS NEW.supply_temp_c AND o.return_temp_c IS NEW.return_temp_c AND o.flow_lpm IS NEW.flow_lpm;
  UPDATE rollup_cooling_loop_minute AS r SET n = r.n - 1,
    supply_temp_c_sum = r.supply_temp_c_sum - coalesce(o.supply_temp_c, 0), supply_temp_c_cnt = r.supply_temp_c_cnt - (o.supply_temp_c IS NOT NULL),
    return_temp_c_sum = r.return_temp_c_sum - coalesce(o.return_temp_c, 0), return_temp_c_cnt = r.return_temp_c_cnt - (o.return_temp_c IS NOT NULL),
    flow_lpm_sum = r.flow_lpm_sum - coalesce(o.flow_lpm, 0), flow_lpm_cnt = r.flow_lpm_cnt - (o.flow_lpm IS NOT NULL),
    (supply_temp_c_min, supply_temp_c_max, return_temp_c_min, return_temp_c_max, flow_lpm_min, flow_lpm_max) =
    (SELECT min(supply_temp_c), max(supply_temp_c), min(return_temp_c), max(return_temp_c), min(flow_lpm), max(flow_lpm) FROM samples_cooling_loop AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_cooling_loop AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_cooling_loop_hour AS r SET n = r.n - 1,
    supply_temp_c_sum = r.supply_temp_c_sum - coalesce(o.supply_temp_c, 0), supply_temp_c_cnt = r.supply_temp_c_cnt - (o.supply_temp_c IS NOT NULL),
    return_temp_c_sum = r.return_temp_c_sum - coalesce(o.return_temp_c, 0), return_temp_c_cnt = r.return_temp_c_cnt - (o.return_temp_c IS NOT NULL),
    flow_lpm_sum = r.flow_lpm_sum - coalesce(o.flow_lpm, 0), flow_lpm_cnt = r.flow_lpm_cnt - (o.flow_lpm IS NOT NULL),
    (supply_temp_c_min, supply_temp_c_max, return_temp_c_min, return_temp_c_max, flow_lpm_min, flow_lpm_max) =
    (SELECT min(supply_temp_c_min), max(supply_temp_c_max), min(return_temp_c_min), max(return_temp_c_max), min(flow_lpm_min), max(flow_lpm_max) FROM rollup_cooling_loop_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_cooling_loop AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_cooling_loop_rollup AFTER INSERT ON samples_cooling_loop
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'cooling_loop' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_cooling_loop_minute (bucket, device, n, supply_temp_c_sum, supply_temp_c_cnt, supply_temp_c_min, supply_temp_c_max, return_temp_c_sum, return_temp_c_cnt, return_temp_c_min, return_temp_c_max, flow_lpm_sum, flow_lpm_cnt, flow_lpm_min, flow_lpm_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.supply_temp_c, NEW.supply_temp_c IS NOT NULL, NEW.supply_temp_c, NEW.supply_temp_c, NEW.return_temp_c, NEW.return_temp_c IS NOT NULL, NEW.return_temp_c, NEW.return_temp_c, NEW.flow_lpm, NEW.flow_lpm IS NOT NULL, NEW.flow_lpm, NEW.flow_lpm)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    supply_temp_c_sum = coalesce(supply_temp_c_sum + excluded.supply_temp_c_sum, supply_temp_c_sum, excluded.supply_temp_c_sum), supply_temp_c_cnt = supply_temp_c_cnt + excluded.supply_temp_c_cnt,
    supply_temp_c_min = coalesce(min(supply_temp_c_min, excluded.supply_temp_c_min), supply_temp_c_min, excluded.supply_temp_c_min), supply_temp_c_max = coalesce(max(supply_temp_c_max, excluded.supply_temp_c_max), supply_temp_c_max, excluded.supply_temp_c_max),
    return_temp_c_sum = coalesce(return_temp_c_sum + excluded.return_temp_c_sum, return_temp_c_sum, excluded.return_temp_c_sum), return_temp_c_cnt = return_temp_c_cnt + excluded.return_temp_c_cnt,
    return_temp_c_min = coalesce(min(return_temp_c_min, excluded.return_temp_c_min), return_temp_c_min, excluded.return_temp_c_min), return_temp_c_max = coalesce(max(return_temp_c_max, excluded.return_temp_c_max), return_temp_c_max, excluded.return_temp_c_max),
    flow_lpm_sum = coalesce(flow_lpm_sum + excluded.flow_lpm_sum, flow_lpm_sum, excluded.flow_lpm_sum), flow_lpm_cnt = flow_lpm_cnt + excluded.flow_lpm_cnt,
    flow_lpm_min = coalesce(min(flow_lpm_min, excluded.flow_lpm_min), flow_lpm_min, excluded.flow_lpm_min), flow_lpm_max = coalesce(max(flow_lpm_max, excluded.flow_lpm_max), flow_lpm_max, excluded.flow_lpm_max);
  INSERT INTO rollup_cooling_loop_hour (bucket, device, n, supply_temp_c_sum, supply_temp_c_cnt, supply_temp_c_min, supply_temp_c_max, return_temp_c_sum, return_temp_c_cnt, return_temp_c_min, return_temp_c_max, flow_lpm_sum, flow_lpm_cnt, flow_lpm_min, flow_lpm_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.supply_temp_c, NEW.supply_temp_c IS NOT NULL, NEW.supply_temp_c, NEW.supply_temp_c, NEW.return_temp_c, NEW.return_temp_c IS NOT NULL, NEW.return_temp_c, NEW.return_temp_c, NEW.flow_lpm, NEW.flow_lpm IS NOT NULL, NEW.flow_lpm, NEW.flow_lpm)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    supply_temp_c_sum = coalesce(supply_temp_c_sum + excluded.supply_temp_c_sum, supply_temp_c_sum, excluded.supply_temp_c_sum), supply_temp_c_cnt = supply_temp_c_cnt + excluded.supply_temp_c_cnt,
    supply_temp_c_min = coalesce(min(supply_temp_c_min, excluded.supply_temp_c_min), supply_temp_c_min, excluded.supply_temp_c_min), supply_temp_c_max = coalesce(max(supply_temp_c_max, excluded.supply_temp_c_max), supply_temp_c_max, excluded.supply_temp_c_max),
    return_temp_c_sum = coalesce(return_temp_c_sum + excluded.return_temp_c_sum, return_temp_c_sum, excluded.return_temp_c_sum), return_temp_c_cnt = return_temp_c_cnt + excluded.return_temp_c_cnt,
    return_temp_c_min = coalesce(min(return_temp_c_min, excluded.return_temp_c_min), return_temp_c_min, excluded.return_temp_c_min), return_temp_c_max = coalesce(max(return_temp_c_max, excluded.return_temp_c_max), return_temp_c_max, excluded.return_temp_c_max),
    flow_lpm_sum = coalesce(flow_lpm_sum + excluded.flow_lpm_sum, flow_lpm_sum, excluded.flow_lpm_sum), flow_lpm_cnt = flow_lpm_cnt + excluded.flow_lpm_cnt,
    flow_lpm_min = coalesce(min(flow_lpm_min, excluded.flow_lpm_min), flow_lpm_min, excluded.flow_lpm_min), flow_lpm_max = coalesce(max(flow_lpm_max, excluded.flow_lpm_max), flow_lpm_max, excluded.flow_lpm_max);
END;

-- meter
CREATE TABLE chunks_meter (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_meter_end ON chunks_meter (window_end, device);
DROP TRIGGER samples_meter_replace;
DROP TRIGGER samples_meter_rollup;

CREATE TRIGGER samples_meter_replace BEFORE INSERT ON samples_meter
WHEN EXISTS (SELECT 1 FROM samples_meter WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'meter' AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_meter AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.power_w IS NEW.power_w;
  UPDATE rollup_meter_minute AS r SET n = r.n - 1,
    power_w_sum = r.power_w_sum - coalesce(o.power_w, 0), power_w_cnt = r.power_w_cnt - (o.power_w IS NOT NULL),
    (power_w_min, power_w_max) =
    (SELECT min(power_w), max(power_w) FROM samples_meter AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_meter AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_meter_hour AS r SET n = r.n - 1,
    power_w_sum = r.power_w_sum - coalesce(o.power_w, 0), power_w_cnt = r.power_w_cnt - (o.power_w IS NOT NULL),
    (power_w_min, power_w_max) =
    (SELECT min(power_w_min), max(power_w_max) FROM rollup_meter_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_meter AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_meter_rollup AFTER INSERT ON samples_meter
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'meter' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_meter_minute (bucket, device, n, power_w_sum, power_w_cnt, power_w_min, power_w_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.power_w, NEW.power_w IS NOT NULL, NEW.power_w, NEW.power_w)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    power_w_sum = coalesce(power_w_sum + excluded.power_w_sum, power_w_sum, excluded.power_w_sum), power_w_cnt = power_w_cnt + excluded.power_w_cnt,
    power_w_min = coalesce(min(power_w_min, excluded.power_w_min), power_w_min, excluded.power_w_min), power_w_max = coalesce(max(power_w_max, excluded.power_w_max), power_w_max, excluded.power_w_max);
  INSERT INTO rollup_meter_hour (bucket, device, n, power_w_sum, power_w_cnt, power_w_min, power_w_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.power_w, NEW.power_w IS NOT NULL, NEW.power_w, NEW.power_w)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    power_w_sum = coalesce(power_w_sum + excluded.power_w_sum, power_w_sum, excluded.power_w_sum), power_w_cnt = power_w_cnt + excluded.power_w_cnt,
    power_w_min = coalesce(min(power_w_min, excluded.power_w_min), power_w_min, excluded.power_w_min), power_w_max = coalesce(max(power_w_max, excluded.power_w_max), power_w_max, excluded.power_w_max);
END;

-- probe
CREATE TABLE chunks_probe (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_probe_end ON chunks_probe (window_end, device);
DROP TRIGGER samples_probe_replace;
DROP TRIGGER samples_probe_rollup;

CREATE TRIGGER samples_probe_replace BEFORE INSERT ON samples_probe
WHEN EXISTS (SELECT 1 FROM samples_probe WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'probe' AND device = NEW.device)
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
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'probe' AND device = NEW.device)
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

-- market
CREATE TABLE chunks_market (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_market_end ON chunks_market (window_end, device);
DROP TRIGGER samples_market_replace;
DROP TRIGGER samples_market_rollup;

CREATE TRIGGER samples_market_replace BEFORE INSERT ON samples_market
WHEN EXISTS (SELECT 1 FROM samples_market WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'market' AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_market AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.energy_price_usd_per_mwh IS NEW.energy_price_usd_per_mwh AND o.hashprice_usd_per_ph_day IS NEW.hashprice_usd_per_ph_day AND o.btc_usd IS NEW.btc_usd AND o.network_difficulty IS NEW.network_difficulty AND o.fees_btc_per_block IS NEW.fees_btc_per_block;
  UPDATE rollup_market_minute AS r SET n = r.n - 1,
    energy_price_usd_per_mwh_sum = r.energy_price_usd_per_mwh_sum - coalesce(o.energy_price_usd_per_mwh, 0), energy_price_usd_per_mwh_cnt = r.energy_price_usd_per_mwh_cnt - (o.energy_price_usd_per_mwh IS NOT NULL),
    hashprice_usd_per_ph_day_sum = r.hashprice_usd_per_ph_day_sum - coalesce(o.hashprice_usd_per_ph_day, 0), hashprice_usd_per_ph_day_cnt = r.hashprice_usd_per_ph_day_cnt - (o.hashprice_usd_per_ph_day IS NOT NULL),
    btc_usd_sum = r.btc_usd_sum - coalesce(o.btc_usd, 0), btc_usd_cnt = r.btc_usd_cnt - (o.btc_usd IS NOT NULL),
    (energy_price_usd_per_mwh_min, energy_price_usd_per_mwh_max, hashprice_usd_per_ph_day_min, hashprice_usd_per_ph_day_max, btc_usd_min, btc_usd_max) =
    (SELECT min(energy_price_usd_per_mwh), max(energy_price_usd_per_mwh), min(hashprice_usd_per_ph_day), max(hashprice_usd_per_ph_day), min(btc_usd), max(btc_usd) FROM samples_market AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_market AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_market_hour AS r SET n = r.n - 1,
    energy_price_usd_per_mwh_sum = r.energy_price_usd_per_mwh_sum - coalesce(o.energy_price_usd_per_mwh, 0), energy_price_usd_per_mwh_cnt = r.energy_price_usd_per_mwh_cnt - (o.energy_price_usd_per_mwh IS NOT NULL),
    hashprice_usd_per_ph_day_sum = r.hashprice_usd_per_ph_day_sum - coalesce(o.hashprice_usd_per_ph_day, 0), hashprice_usd_per_ph_day_cnt = r.hashprice_usd_per_ph_day_cnt - (o.hashprice_usd_per_ph_day IS NOT NULL),
    btc_usd_sum = r.btc_usd_sum - coalesce(o.btc_usd, 0), btc_usd_cnt = r.btc_usd_cnt - (o.btc_usd IS NOT NULL),
    (energy_price_usd_per_mwh_min, energy_price_usd_per_mwh_max, hashprice_usd_per_ph_day_min, hashprice_usd_per_ph_day_max, btc_usd_min, btc_usd_max) =
    (SELECT min(energy_price_usd_per_mwh_min), max(energy_price_usd_per_mwh_max), min(hashprice_usd_per_ph_day_min), max(hashprice_usd_per_ph_day_max), min(btc_usd_min), max(btc_usd_max) FROM rollup_market_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_market AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_market_rollup AFTER INSERT ON samples_market
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'market' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_market_minute (bucket, device, n, energy_price_usd_per_mwh_sum, energy_price_usd_per_mwh_cnt, energy_price_usd_per_mwh_min, energy_price_usd_per_mwh_max, hashprice_usd_per_ph_day_sum, hashprice_usd_per_ph_day_cnt, hashprice_usd_per_ph_day_min, hashprice_usd_per_ph_day_max, btc_usd_sum, btc_usd_cnt, btc_usd_min, btc_usd_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.energy_price_usd_per_mwh, NEW.energy_price_usd_per_mwh IS NOT NULL, NEW.energy_price_usd_per_mwh, NEW.energy_price_usd_per_mwh, NEW.hashprice_usd_per_ph_day, NEW.hashprice_usd_per_ph_day IS NOT NULL, NEW.hashprice_usd_per_ph_day, NEW.hashprice_usd_per_ph_day, NEW.btc_usd, NEW.btc_usd IS NOT NULL, NEW.btc_usd, NEW.btc_usd)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    energy_price_usd_per_mwh_sum = coalesce(energy_price_usd_per_mwh_sum + excluded.energy_price_usd_per_mwh_sum, energy_price_usd_per_mwh_sum, excluded.energy_price_usd_per_mwh_sum), energy_price_usd_per_mwh_cnt = energy_price_usd_per_mwh_cnt + excluded.energy_price_usd_per_mwh_cnt,
    energy_price_usd_per_mwh_min = coalesce(min(energy_price_usd_per_mwh_min, excluded.energy_price_usd_per_mwh_min), energy_price_usd_per_mwh_min, excluded.energy_price_usd_per_mwh_min), energy_price_usd_per_mwh_max = coalesce(max(energy_price_usd_per_mwh_max, excluded.energy_price_usd_per_mwh_max), energy_price_usd_per_mwh_max, excluded.energy_price_usd_per_mwh_max),
    hashprice_usd_per_ph_day_sum = coalesce(hashprice_usd_per_ph_day_sum + excluded.hashprice_usd_per_ph_day_sum, hashprice_usd_per_ph_day_sum, excluded.hashprice_usd_per_ph_day_sum), hashprice_usd_per_ph_day_cnt = hashprice_usd_per_ph_day_cnt + excluded.hashprice_usd_per_ph_day_cnt,
    hashprice_usd_per_ph_day_min = coalesce(min(hashprice_usd_per_ph_day_min, excluded.hashprice_usd_per_ph_day_min), hashprice_usd_per_ph_day_min, excluded.hashprice_usd_per_ph_day_min), hashprice_usd_per_ph_day_max = coalesce(max(hashprice_usd_per_ph_day_max, excluded.hashprice_usd_per_ph_day_max), hashprice_usd_per_ph_day_max, excluded.hashprice_usd_per_ph_day_max),
    btc_usd_sum = coalesce(btc_usd_sum + excluded.btc_usd_sum, btc_usd_sum, excluded.btc_usd_sum), btc_usd_cnt = btc_usd_cnt + excluded.btc_usd_cnt,
    btc_usd_min = coalesce(min(btc_usd_min, excluded.btc_usd_min), btc_usd_min, excluded.btc_usd_min), btc_usd_max = coalesce(max(btc_usd_max, excluded.btc_usd_max), btc_usd_max, excluded.btc_usd_max);
  INSERT INTO rollup_market_hour (bucket, device, n, energy_price_usd_per_mwh_sum, energy_price_usd_per_mwh_cnt, energy_price_usd_per_mwh_min, energy_price_usd_per_mwh_max, hashprice_usd_per_ph_day_sum, hashprice_usd_per_ph_day_cnt, hashprice_usd_per_ph_day_min, hashprice_usd_per_ph_day_max, btc_usd_sum, btc_usd_cnt, btc_usd_min, btc_usd_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.energy_price_usd_per_mwh, NEW.energy_price_usd_per_mwh IS NOT NULL, NEW.energy_price_usd_per_mwh, NEW.energy_price_usd_per_mwh, NEW.hashprice_usd_per_ph_day, NEW.hashprice_usd_per_ph_day IS NOT NULL, NEW.hashprice_usd_per_ph_day, NEW.hashprice_usd_per_ph_day, NEW.btc_usd, NEW.btc_usd IS NOT NULL, NEW.btc_usd, NEW.btc_usd)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    energy_price_usd_per_mwh_sum = coalesce(energy_price_usd_per_mwh_sum + excluded.energy_price_usd_per_mwh_sum, energy_price_usd_per_mwh_sum, excluded.energy_price_usd_per_mwh_sum), energy_price_usd_per_mwh_cnt = energy_price_usd_per_mwh_cnt + excluded.energy_price_usd_per_mwh_cnt,
    energy_price_usd_per_mwh_min = coalesce(min(energy_price_usd_per_mwh_min, excluded.energy_price_usd_per_mwh_min), energy_price_usd_per_mwh_min, excluded.energy_price_usd_per_mwh_min), energy_price_usd_per_mwh_max = coalesce(max(energy_price_usd_per_mwh_max, excluded.energy_price_usd_per_mwh_max), energy_price_usd_per_mwh_max, excluded.energy_price_usd_per_mwh_max),
    hashprice_usd_per_ph_day_sum = coalesce(hashprice_usd_per_ph_day_sum + excluded.hashprice_usd_per_ph_day_sum, hashprice_usd_per_ph_day_sum, excluded.hashprice_usd_per_ph_day_sum), hashprice_usd_per_ph_day_cnt = hashprice_usd_per_ph_day_cnt + excluded.hashprice_usd_per_ph_day_cnt,
    hashprice_usd_per_ph_day_min = coalesce(min(hashprice_usd_per_ph_day_min, excluded.hashprice_usd_per_ph_day_min), hashprice_usd_per_ph_day_min, excluded.hashprice_usd_per_ph_day_min), hashprice_usd_per_ph_day_max = coalesce(max(hashprice_usd_per_ph_day_max, excluded.hashprice_usd_per_ph_day_max), hashprice_usd_per_ph_day_max, excluded.hashprice_usd_per_ph_day_max),
    btc_usd_sum = coalesce(btc_usd_sum + excluded.btc_usd_sum, btc_usd_sum, excluded.btc_usd_sum), btc_usd_cnt = btc_usd_cnt + excluded.btc_usd_cnt,
    btc_usd_min = coalesce(min(btc_usd_min, excluded.btc_usd_min), btc_usd_min, excluded.btc_usd_min), btc_usd_max = coalesce(max(btc_usd_max, excluded.btc_usd_max), btc_usd_max, excluded.btc_usd_max);
END;

-- ups
CREATE TABLE chunks_ups (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_ups_end ON chunks_ups (window_end, device);
DROP TRIGGER samples_ups_replace;
DROP TRIGGER samples_ups_rollup;

CREATE TRIGGER samples_ups_replace BEFORE INSERT ON samples_ups
WHEN EXISTS (SELECT 1 FROM samples_ups WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'ups' AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_ups AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.input_power_w IS NEW.input_power_w AND o.output_power_w IS NEW.output_power_w AND o.load_pct IS NEW.load_pct AND o.battery_charge_pct IS NEW.battery_charge_pct AND o.battery_runtime_s IS NEW.battery_runtime_s AND o.on_battery IS NEW.on_battery;
  UPDATE rollup_ups_minute AS r SET n = r.n - 1,
    output_power_w_sum = r.output_power_w_sum - coalesce(o.output_power_w, 0), output_power_w_cnt = r.output_power_w_cnt - (o.output_power_w IS NOT NULL),
    battery_charge_pct_sum = r.battery_charge_pct_sum - coalesce(o.battery_charge_pct, 0), battery_charge_pct_cnt = r.battery_charge_pct_cnt - (o.battery_charge_pct IS NOT NULL),
    (output_power_w_min, output_power_w_max, battery_charge_pct_min, battery_charge_pct_max) =
    (SELECT min(output_power_w), max(output_power_w), min(battery_charge_pct), max(battery_charge_pct) FROM samples_ups AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_ups AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_ups_hour AS r SET n = r.n - 1,
    output_power_w_sum = r.output_power_w_sum - coalesce(o.output_power_w, 0), output_power_w_cnt = r.output_power_w_cnt - (o.output_power_w IS NOT NULL),
    battery_charge_pct_sum = r.battery_charge_pct_sum - coalesce(o.battery_charge_pct, 0), battery_charge_pct_cnt = r.battery_charge_pct_cnt - (o.battery_charge_pct IS NOT NULL),
    (output_power_w_min, output_power_w_max, battery_charge_pct_min, battery_charge_pct_max) =
    (SELECT min(output_power_w_min), max(output_power_w_max), min(battery_charge_pct_min), max(battery_charge_pct_max) FROM rollup_ups_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_ups AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_ups_rollup AFTER INSERT ON samples_ups
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'ups' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_ups_minute (bucket, device, n, output_power_w_sum, output_power_w_cnt, output_power_w_min, output_power_w_max, battery_charge_pct_sum, battery_charge_pct_cnt, battery_charge_pct_min, battery_charge_pct_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.output_power_w, NEW.output_power_w IS NOT NULL, NEW.output_power_w, NEW.output_power_w, NEW.battery_charge_pct, NEW.battery_charge_pct IS NOT NULL, NEW.battery_charge_pct, NEW.battery_charge_pct)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    output_power_w_sum = coalesce(output_power_w_sum + excluded.output_power_w_sum, output_power_w_sum, excluded.output_power_w_sum), output_power_w_cnt = output_power_w_cnt + excluded.output_power_w_cnt,
    output_power_w_min = coalesce(min(output_power_w_min, excluded.output_power_w_min), output_power_w_min, excluded.output_power_w_min), output_power_w_max = coalesce(max(output_power_w_max, excluded.output_power_w_max), output_power_w_max, excluded.output_power_w_max),
    battery_charge_pct_sum = coalesce(battery_charge_pct_sum + excluded.battery_charge_pct_sum, battery_charge_pct_sum, excluded.battery_charge_pct_sum), battery_charge_pct_cnt = battery_charge_pct_cnt + excluded.battery_charge_pct_cnt,
    battery_charge_pct_min = coalesce(min(battery_charge_pct_min, excluded.battery_charge_pct_min), battery_charge_pct_min, excluded.battery_charge_pct_min), battery_charge_pct_max = coalesce(max(battery_charge_pct_max, excluded.battery_charge_pct_max), battery_charge_pct_max, excluded.battery_charge_pct_max);
  INSERT INTO rollup_ups_hour (bucket, device, n, output_power_w_sum, output_power_w_cnt, output_power_w_min, output_power_w_max, battery_charge_pct_sum, battery_charge_pct_cnt, battery_charge_pct_min, battery_charge_pct_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.output_power_w, NEW.output_power_w IS NOT NULL, NEW.output_power_w, NEW.output_power_w, NEW.battery_charge_pct, NEW.battery_charge_pct IS NOT NULL, NEW.battery_charge_pct, NEW.battery_charge_pct)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    output_power_w_sum = coalesce(output_power_w_sum + excluded.output_power_w_sum, output_power_w_sum, excluded.output_power_w_sum), output_power_w_cnt = output_power_w_cnt + excluded.output_power_w_cnt,
    output_power_w_min = coalesce(min(output_power_w_min, excluded.output_power_w_min), output_power_w_min, excluded.output_power_w_min), output_power_w_max = coalesce(max(output_power_w_max, excluded.output_power_w_max), output_power_w_max, excluded.output_power_w_max),
    battery_charge_pct_sum = coalesce(battery_charge_pct_sum + excluded.battery_charge_pct_sum, battery_charge_pct_sum, excluded.battery_charge_pct_sum), battery_charge_pct_cnt = battery_charge_pct_cnt + excluded.battery_charge_pct_cnt,
    battery_charge_pct_min = coalesce(min(battery_charge_pct_min, excluded.battery_charge_pct_min), battery_charge_pct_min, excluded.battery_charge_pct_min), battery_charge_pct_max = coalesce(max(battery_charge_pct_max, excluded.battery_charge_pct_max), battery_charge_pct_max, excluded.battery_charge_pct_max);
END;

-- network_link
CREATE TABLE chunks_network_link (
  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  n INTEGER NOT NULL, blob BLOB NOT NULL,
  PRIMARY KEY (device, window_start)
);
CREATE INDEX chunks_network_link_end ON chunks_network_link (window_end, device);
DROP TRIGGER samples_network_link_replace;
DROP TRIGGER samples_network_link_rollup;

CREATE TRIGGER samples_network_link_replace BEFORE INSERT ON samples_network_link
WHEN EXISTS (SELECT 1 FROM samples_network_link WHERE ts = NEW.ts AND device = NEW.device) AND NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'network_link' AND device = NEW.device)
BEGIN
  SELECT RAISE(IGNORE) FROM samples_network_link AS o WHERE o.ts = NEW.ts AND o.device = NEW.device
    AND o.power_source IS NEW.power_source AND o.rx_bps IS NEW.rx_bps AND o.tx_bps IS NEW.tx_bps AND o.oper_up IS NEW.oper_up AND o.errors_per_s IS NEW.errors_per_s AND o.latency_ms IS NEW.latency_ms AND o.loss_pct IS NEW.loss_pct;
  UPDATE rollup_network_link_minute AS r SET n = r.n - 1,
    rx_bps_sum = r.rx_bps_sum - coalesce(o.rx_bps, 0), rx_bps_cnt = r.rx_bps_cnt - (o.rx_bps IS NOT NULL),
    tx_bps_sum = r.tx_bps_sum - coalesce(o.tx_bps, 0), tx_bps_cnt = r.tx_bps_cnt - (o.tx_bps IS NOT NULL),
    latency_ms_sum = r.latency_ms_sum - coalesce(o.latency_ms, 0), latency_ms_cnt = r.latency_ms_cnt - (o.latency_ms IS NOT NULL),
    (rx_bps_min, rx_bps_max, tx_bps_min, tx_bps_max, latency_ms_min, latency_ms_max) =
    (SELECT min(rx_bps), max(rx_bps), min(tx_bps), max(tx_bps), min(latency_ms), max(latency_ms) FROM samples_network_link AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + 60000 AND s.device = NEW.device AND s.ts <> NEW.ts)
  FROM samples_network_link AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 60000 AND r.device = NEW.device;
  UPDATE rollup_network_link_hour AS r SET n = r.n - 1,
    rx_bps_sum = r.rx_bps_sum - coalesce(o.rx_bps, 0), rx_bps_cnt = r.rx_bps_cnt - (o.rx_bps IS NOT NULL),
    tx_bps_sum = r.tx_bps_sum - coalesce(o.tx_bps, 0), tx_bps_cnt = r.tx_bps_cnt - (o.tx_bps IS NOT NULL),
    latency_ms_sum = r.latency_ms_sum - coalesce(o.latency_ms, 0), latency_ms_cnt = r.latency_ms_cnt - (o.latency_ms IS NOT NULL),
    (rx_bps_min, rx_bps_max, tx_bps_min, tx_bps_max, latency_ms_min, latency_ms_max) =
    (SELECT min(rx_bps_min), max(rx_bps_max), min(tx_bps_min), max(tx_bps_max), min(latency_ms_min), max(latency_ms_max) FROM rollup_network_link_minute AS m WHERE m.bucket IN (r.bucket + 0, r.bucket + 60000, r.bucket + 120000, r.bucket + 180000, r.bucket + 240000, r.bucket + 300000, r.bucket + 360000, r.bucket + 420000, r.bucket + 480000, r.bucket + 540000, r.bucket + 600000, r.bucket + 660000, r.bucket + 720000, r.bucket + 780000, r.bucket + 840000, r.bucket + 900000, r.bucket + 960000, r.bucket + 1020000, r.bucket + 1080000, r.bucket + 1140000, r.bucket + 1200000, r.bucket + 1260000, r.bucket + 1320000, r.bucket + 1380000, r.bucket + 1440000, r.bucket + 1500000, r.bucket + 1560000, r.bucket + 1620000, r.bucket + 1680000, r.bucket + 1740000, r.bucket + 1800000, r.bucket + 1860000, r.bucket + 1920000, r.bucket + 1980000, r.bucket + 2040000, r.bucket + 2100000, r.bucket + 2160000, r.bucket + 2220000, r.bucket + 2280000, r.bucket + 2340000, r.bucket + 2400000, r.bucket + 2460000, r.bucket + 2520000, r.bucket + 2580000, r.bucket + 2640000, r.bucket + 2700000, r.bucket + 2760000, r.bucket + 2820000, r.bucket + 2880000, r.bucket + 2940000, r.bucket + 3000000, r.bucket + 3060000, r.bucket + 3120000, r.bucket + 3180000, r.bucket + 3240000, r.bucket + 3300000, r.bucket + 3360000, r.bucket + 3420000, r.bucket + 3480000, r.bucket + 3540000) AND m.device = NEW.device)
  FROM samples_network_link AS o
  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % 3600000 AND r.device = NEW.device;
END;

CREATE TRIGGER samples_network_link_rollup AFTER INSERT ON samples_network_link
WHEN NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = 'network_link' AND device = NEW.device)
BEGIN
  INSERT INTO rollup_network_link_minute (bucket, device, n, rx_bps_sum, rx_bps_cnt, rx_bps_min, rx_bps_max, tx_bps_sum, tx_bps_cnt, tx_bps_min, tx_bps_max, latency_ms_sum, latency_ms_cnt, latency_ms_min, latency_ms_max)
  VALUES (NEW.ts - NEW.ts % 60000, NEW.device, 1, NEW.rx_bps, NEW.rx_bps IS NOT NULL, NEW.rx_bps, NEW.rx_bps, NEW.tx_bps, NEW.tx_bps IS NOT NULL, NEW.tx_bps, NEW.tx_bps, NEW.latency_ms, NEW.latency_ms IS NOT NULL, NEW.latency_ms, NEW.latency_ms)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    rx_bps_sum = coalesce(rx_bps_sum + excluded.rx_bps_sum, rx_bps_sum, excluded.rx_bps_sum), rx_bps_cnt = rx_bps_cnt + excluded.rx_bps_cnt,
    rx_bps_min = coalesce(min(rx_bps_min, excluded.rx_bps_min), rx_bps_min, excluded.rx_bps_min), rx_bps_max = coalesce(max(rx_bps_max, excluded.rx_bps_max), rx_bps_max, excluded.rx_bps_max),
    tx_bps_sum = coalesce(tx_bps_sum + excluded.tx_bps_sum, tx_bps_sum, excluded.tx_bps_sum), tx_bps_cnt = tx_bps_cnt + excluded.tx_bps_cnt,
    tx_bps_min = coalesce(min(tx_bps_min, excluded.tx_bps_min), tx_bps_min, excluded.tx_bps_min), tx_bps_max = coalesce(max(tx_bps_max, excluded.tx_bps_max), tx_bps_max, excluded.tx_bps_max),
    latency_ms_sum = coalesce(latency_ms_sum + excluded.latency_ms_sum, latency_ms_sum, excluded.latency_ms_sum), latency_ms_cnt = latency_ms_cnt + excluded.latency_ms_cnt,
    latency_ms_min = coalesce(min(latency_ms_min, excluded.latency_ms_min), latency_ms_min, excluded.latency_ms_min), latency_ms_max = coalesce(max(latency_ms_max, excluded.latency_ms_max), latency_ms_max, excluded.latency_ms_max);
  INSERT INTO rollup_network_link_hour (bucket, device, n, rx_bps_sum, rx_bps_cnt, rx_bps_min, rx_bps_max, tx_bps_sum, tx_bps_cnt, tx_bps_min, tx_bps_max, latency_ms_sum, latency_ms_cnt, latency_ms_min, latency_ms_max)
  VALUES (NEW.ts - NEW.ts % 3600000, NEW.device, 1, NEW.rx_bps, NEW.rx_bps IS NOT NULL, NEW.rx_bps, NEW.rx_bps, NEW.tx_bps, NEW.tx_bps IS NOT NULL, NEW.tx_bps, NEW.tx_bps, NEW.latency_ms, NEW.latency_ms IS NOT NULL, NEW.latency_ms, NEW.latency_ms)
  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,
    rx_bps_sum = coalesce(rx_bps_sum + excluded.rx_bps_sum, rx_bps_sum, excluded.rx_bps_sum), rx_bps_cnt = rx_bps_cnt + excluded.rx_bps_cnt,
    rx_bps_min = coalesce(min(rx_bps_min, excluded.rx_bps_min), rx_bps_min, excluded.rx_bps_min), rx_bps_max = coalesce(max(rx_bps_max, excluded.rx_bps_max), rx_bps_max, excluded.rx_bps_max),
    tx_bps_sum = coalesce(tx_bps_sum + excluded.tx_bps_sum, tx_bps_sum, excluded.tx_bps_sum), tx_bps_cnt = tx_bps_cnt + excluded.tx_bps_cnt,
    tx_bps_min = coalesce(min(tx_bps_min, excluded.tx_bps_min), tx_bps_min, excluded.tx_bps_min), tx_bps_max = coalesce(max(tx_bps_max, excluded.tx_bps_max), tx_bps_max, excluded.tx_bps_max),
    latency_ms_sum = coalesce(latency_ms_sum + excluded.latency_ms_sum, latency_ms_sum, excluded.latency_ms_sum), latency_ms_cnt = latency_ms_cnt + excluded.latency_ms_cnt,
    latency_ms_min = coalesce(min(latency_ms_min, excluded.latency_ms_min), latency_ms_min, excluded.latency_ms_min), latency_ms_max = coalesce(max(latency_ms_max, excluded.latency_ms_max), latency_ms_max, excluded.latency_ms_max);
END;
