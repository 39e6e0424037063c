-- Floorwatch schema v9: market.
--
-- Generated from server/core/vocabulary.ts by: npm run migration:new -- market
-- Regenerate rather than edit: test/unit/migrate-vocabulary.test.ts checks that the migrations build the
-- declared columns and triggers.
--
-- New device metrics: new kind market: energy_price_usd_per_mwh (rolled up), hashprice_usd_per_ph_day (rolled up), btc_usd (rolled up), network_difficulty, fees_btc_per_block.
-- Rows stored before this hold NULL in the new columns (not known, never 0), and rollup rows a count of 0.
-- Each changed kind's samples_<kind>_replace trigger is re-created: it tells an identical duplicate by
-- comparing every raw column, and without the new ones it would drop a reading that differs only in them.
-- The triggers go before the ALTERs: SQLite re-checks triggers on ALTER TABLE (RENAME and DROP COLUMN fail
-- on the replace trigger with "no such column: r.n"; ADD COLUMN passes, but nothing depends on that).

-- market
CREATE TABLE samples_market (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  energy_price_usd_per_mwh REAL, hashprice_usd_per_ph_day REAL, btc_usd REAL, network_difficulty REAL, fees_btc_per_block REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE rollup_market_minute (
  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,
  energy_price_usd_per_mwh_sum REAL, energy_price_usd_per_mwh_cnt INTEGER NOT NULL DEFAULT 0, energy_price_usd_per_mwh_min REAL, energy_price_usd_per_mwh_max REAL,
  hashprice_usd_per_ph_day_sum REAL, hashprice_usd_per_ph_day_cnt INTEGER NOT NULL DEFAULT 0, hashprice_usd_per_ph_day_min REAL, hashprice_usd_per_ph_day_max REAL,
  btc_usd_sum REAL, btc_usd_cnt INTEGER NOT NULL DEFAULT 0, btc_usd_min REAL, btc_usd_max REAL,
  PRIMARY KEY (bucket, device)
) WITHOUT ROWID;

CREATE TABLE rollup_market_hour (
  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,
  energy_price_usd_per_mwh_sum REAL, energy_price_usd_per_mwh_cnt INTEGER NOT NULL DEFAULT 0, energy_price_usd_per_mwh_min REAL, energy_price_usd_per_mwh_max REAL,
  hashprice_usd_per_ph_day_sum REAL, hashprice_usd_per_ph_day_cnt INTEGER NOT NULL DEFAULT 0, hashprice_usd_per_ph_day_min REAL, hashprice_usd_per_ph_day_max REAL,
  btc_usd_sum REAL, btc_usd_cnt INTEGER NOT NULL DEFAULT 0, btc_usd_min REAL, btc_usd_max REAL,
  PRIMARY KEY (bucket, device)
) WITHOUT ROWID;

CREATE TRIGGER samples_market_replace BEFORE INSERT ON samples_market
WHEN EXISTS (SELECT 1 FROM samples_market WHERE ts = NEW.ts AND device = NEW.device)
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
