-- Floorwatch schema v1: device registry and raw samples.
--
-- Raw samples are stored one row per reading with a column per metric (about 2.5x faster to insert and
-- less than half the bytes of one row per value, docs/ARCHITECTURE.md §6), one table per device kind so that every
-- column means something. The key is (ts, device): a tick of the whole site arrives at one timestamp, and
-- inserts in key order are several times faster than into a table keyed by device first. History per rack
-- or device is read from rollup tables, not from here. NULL = the device did not know; never 0.

CREATE TABLE devices (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE,
  kind  TEXT NOT NULL
);

-- power_source: 0 = device, 1 = estimate (model nominal), 2 = meter; NULL = not said.
CREATE TABLE samples_asic (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  hashrate_ths REAL, power_w REAL, chip_temp_c REAL, board_temp_c REAL, inlet_temp_c REAL, outlet_temp_c REAL,
  fan_rpm REAL, accepted_shares REAL, rejected_shares REAL, hw_errors REAL, chains_ok REAL, chains_total REAL,
  uptime_s REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE samples_gpu (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  util_pct REAL, mem_util_pct REAL, mem_used_mib REAL, mem_total_mib REAL, power_w REAL, power_limit_w REAL,
  temp_c REAL, mem_temp_c REAL, sm_clock_mhz REAL, throttle_thermal REAL, throttle_power REAL, xid_last REAL,
  ecc_dbe_total REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE samples_env (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  inlet_temp_c REAL, outlet_temp_c REAL, humidity_pct REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE samples_pdu (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  power_w REAL, feed_a_w REAL, feed_b_w REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE samples_cooling_loop (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  supply_temp_c REAL, return_temp_c REAL, flow_lpm REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;

CREATE TABLE samples_meter (
  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,
  power_w REAL,
  PRIMARY KEY (ts, device)
) WITHOUT ROWID;
