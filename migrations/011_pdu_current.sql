-- Floorwatch schema v11: pdu_current.
--
-- Generated from server/core/vocabulary.ts by: npm run migration:new -- pdu_current
-- Regenerate rather than edit: test/unit/migrate-vocabulary.test.ts checks that the migrations build the
-- declared columns and triggers.
--
-- New device metrics: pdu current_a, max_phase_current_a.
-- Rows stored before this hold NULL in the new columns (not known, never 0), and rollup rows a count of 0.
-- Each changed kind's samples_<kind>_replace trigger is re-created: it tells an identical duplicate by
-- comparing every raw column, and without the new ones it would drop a reading that differs only in them.
-- The triggers go before the ALTERs: SQLite re-checks triggers on ALTER TABLE (RENAME and DROP COLUMN fail
-- on the replace trigger with "no such column: r.n"; ADD COLUMN passes, but nothing depends on that).

-- pdu
DROP TRIGGER samples_pdu_replace;
ALTER TABLE samples_pdu ADD COLUMN current_a REAL;
ALTER TABLE samples_pdu ADD COLUMN max_phase_current_a REAL;

CREATE TRIGGER samples_pdu_replace BEFORE INSERT ON samples_pdu
WHEN EXISTS (SELECT 1 FROM samples_pdu WHERE ts = NEW.ts AND device = NEW.device)
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
