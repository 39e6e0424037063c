-- Floorwatch schema v10: ups_network_link.
--
-- Generated from server/core/vocabulary.ts by: npm run migration:new -- ups_network_link
-- Regenerate rather than edit: test/unit/migrate-vocabulary.test.ts checks that the migrations build the
-- declared columns and triggers.
--
-- New device metrics: new kind ups: input_power_w, output_power_w (rolled up), load_pct, battery_charge_pct (rolled up), battery_runtime_s, on_battery; new kind network_link: rx_bps (rolled up), tx_bps (rolled up), oper_up, errors_per_s, latency_ms (rolled up), loss_pct.
-- Rows stored before this hold NULL in the new columns (not known, never 0), and rollup rows a count of 0.
-- Each changed kind's samples_<kind>_replace trigger is re-created: it tells an identical duplicate by
-- comparing every raw column, and without the new ones it would drop a reading that differs only in them.
-- The triggers go before the ALTERs: SQLite re-checks triggers on ALTER TABLE (RENAME and DROP COLUMN fail
-- on the replace trigger with "no such column: r.n"; ADD COLUMN passes, but nothing depends on that).

-- ups
CREATE TABLE samples_ups (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  input_power_w REAL, output_power_w REAL, load_pct REAL, battery_charge_pct REAL, battery_runtime_s REAL, on_battery REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE rollup_ups_minute (
  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,
  output_power_w_sum REAL, output_power_w_cnt INTEGER NOT NULL DEFAULT 0, output_power_w_min REAL, output_power_w_max REAL,
  battery_charge_pct_sum REAL, battery_charge_pct_cnt INTEGER NOT NULL DEFAULT 0, battery_charge_pct_min REAL, battery_charge_pct_max REAL,
  PRIMARY KEY (bucket, device)
) WITHOUT ROWID;

CREATE TABLE rollup_ups_hour (
  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,
  output_power_w_sum REAL, output_power_w_cnt INTEGER NOT NULL DEFAULT 0, output_power_w_min REAL, output_power_w_max REAL,
  battery_charge_pct_sum REAL, battery_charge_pct_cnt INTEGER NOT NULL DEFAULT 0, battery_charge_pct_min REAL, battery_charge_pct_max REAL,
  PRIMARY KEY (bucket, device)
) WITHOUT ROWID;

CREATE TRIGGER samples_ups_replace BEFORE INSERT ON samples_ups
WHEN EXISTS (SELECT 1 FROM samples_ups WHERE ts = NEW.ts AND device = NEW.device)
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
CREATE TABLE samples_network_link (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  rx_bps REAL, tx_bps REAL, oper_up REAL, errors_per_s REAL, latency_ms REAL, loss_pct REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE rollup_network_link_minute (
  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,
  rx_bps_sum REAL, rx_bps_cnt INTEGER NOT NULL DEFAULT 0, rx_bps_min REAL, rx_bps_max REAL,
  tx_bps_sum REAL, tx_bps_cnt INTEGER NOT NULL DEFAULT 0, tx_bps_min REAL, tx_bps_max REAL,
  latency_ms_sum REAL, latency_ms_cnt INTEGER NOT NULL DEFAULT 0, latency_ms_min REAL, latency_ms_max REAL,
  PRIMARY KEY (bucket, device)
) WITHOUT ROWID;

CREATE TABLE rollup_network_link_hour (
  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,
  rx_bps_sum REAL, rx_bps_cnt INTEGER NOT NULL DEFAULT 0, rx_bps_min REAL, rx_bps_max REAL,
  tx_bps_sum REAL, tx_bps_cnt INTEGER NOT NULL DEFAULT 0, tx_bps_min REAL, tx_bps_max REAL,
  latency_ms_sum REAL, latency_ms_cnt INTEGER NOT NULL DEFAULT 0, latency_ms_min REAL, latency_ms_max REAL,
  PRIMARY KEY (bucket, device)
) WITHOUT ROWID;

CREATE TRIGGER samples_network_link_replace BEFORE INSERT ON samples_network_link
WHEN EXISTS (SELECT 1 FROM samples_network_link WHERE ts = NEW.ts AND device = NEW.device)
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
