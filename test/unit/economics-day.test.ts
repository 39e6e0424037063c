// Issue 16: today's totals, integrated tick by tick from the rates like the scope rollups' energy, and the
// same totals read back from the rollups after a restart.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { DeviceLive, EconomicsFigures, Figures, LiveInput } from '../../server/core/types.js';
import { createDayLedger, dayTotals, recordDay } from '../../server/figures/economics-day.js';
import { computeFigures } from '../../server/figures/compute.js';
import { openDatabase } from '../../server/store/db.js';
import { loadMigrations, migrate } from '../../server/store/migrate.js';
import { createScopeRollups, registerScopes, scopeNames, SCOPE_METRIC_CODE } from '../../server/store/rollups.js';
import { readDaySums } from '../../server/store/economics-day-store.js';
import { smallSite, SMALL_SITE_YAML, tempDir } from '../helpers/site.js';

const MIDNIGHT = Date.UTC(2026, 0, 14); // a UTC site: local midnight
const S = 1000;

/** Figures with only the site's economics that the ledger reads. */
function tick(e: Partial<EconomicsFigures>): Figures {
  const economics = {
    mining_revenue_usd_per_h: null, ai_revenue_usd_per_h: null, energy_cost_usd_per_h: null, margin_usd_per_h: null, facility_w: null, ...e,
  } as EconomicsFigures;
  return { site: { economics } as Figures['site'], halls: [], racks: [], loops: [] };
}

describe('the day ledger', () => {
  it('integrates each rate × dt: 1 MW for 30 min at $50/MWh is 0.5 MWh and $25', () => {
    const ledger = createDayLedger('UTC', MIDNIGHT + 3600 * S);
    const f = tick({ facility_w: 1_000_000, energy_cost_usd_per_h: 50, mining_revenue_usd_per_h: 80, margin_usd_per_h: 30 });
    for (let t = 0; t <= 1800; t++) recordDay(ledger, MIDNIGHT + 3600 * S + t * S, f);
    const d = dayTotals(ledger, 'site', MIDNIGHT + 5400 * S, 'UTC');
    expect(d.day_start).toBe(MIDNIGHT);
    expect(d.facility_mwh).toBeCloseTo(0.5, 9);
    expect(d.energy_cost_usd).toBeCloseTo(25, 9);
    expect(d.mining_revenue_usd).toBeCloseTo(40, 9);
    expect(d.margin_usd).toBeCloseTo(15, 9);
    expect(d.ai_revenue_usd).toBe(0); // never known: nothing added, not a guess
  });

  it('integrates nothing across a gap over 10 s, and a varying rate tick by tick', () => {
    const ledger = createDayLedger('UTC', MIDNIGHT);
    recordDay(ledger, MIDNIGHT + 10 * S, tick({ energy_cost_usd_per_h: 3600 }));
    recordDay(ledger, MIDNIGHT + 11 * S, tick({ energy_cost_usd_per_h: 3600 })); // + $1
    recordDay(ledger, MIDNIGHT + 61 * S, tick({ energy_cost_usd_per_h: 3600 })); // 50 s gap: + 0
    recordDay(ledger, MIDNIGHT + 63 * S, tick({ energy_cost_usd_per_h: 7200 })); // 2 s × $2/s: + $4
    recordDay(ledger, MIDNIGHT + 64 * S, tick({ energy_cost_usd_per_h: null })); // unknown: + 0
    recordDay(ledger, MIDNIGHT + 62 * S, tick({ energy_cost_usd_per_h: 7200 })); // a step back: ignored
    expect(dayTotals(ledger, 'site', MIDNIGHT + 65 * S, 'UTC').energy_cost_usd).toBeCloseTo(5, 9);
  });

  it('starts again at local midnight, in the site zone', () => {
    // Chicago midnight 15 Jan 2026 is 06:00 UTC
    const tz = 'America/Chicago';
    const before = Date.UTC(2026, 0, 15, 5, 59, 58);
    const ledger = createDayLedger(tz, before);
    const f = tick({ energy_cost_usd_per_h: 3600 });
    recordDay(ledger, before, f);
    recordDay(ledger, before + S, f);
    expect(dayTotals(ledger, 'site', before + S, tz).energy_cost_usd).toBeCloseTo(1, 9);
    recordDay(ledger, before + 3 * S, f); // 06:00:01 UTC: the new day, with its tick's 2 s
    const d = dayTotals(ledger, 'site', before + 3 * S, tz);
    expect(d.day_start).toBe(Date.UTC(2026, 0, 15, 6, 0));
    expect(d.energy_cost_usd).toBeCloseTo(2, 9);
  });
});

describe('today from the rollups', () => {
  it('the minute rollups since midnight hold what the ledger counted, so a restart resumes the day', () => {
    const yaml = `${SMALL_SITE_YAML}
economics: { timezone: UTC, energy_price_usd_per_mwh: 50 }
`;
    const model = smallSite(yaml);
    const devices = new Map<string, DeviceLive>();
    for (const d of model.devices.values()) devices.set(d.id, { model: d, ts: null, metrics: {} });
    const t0 = MIDNIGHT + 3600 * S;
    const set = (id: string, ts: number, metrics: DeviceLive['metrics']) => devices.set(id, { model: model.devices.get(id)!, ts, metrics });
    const input = (now: number): LiveInput => {
      for (const id of ['M-01-01', 'M-01-02', 'M-01-03']) set(id, now, { hashrate_ths: 200, power_w: 3500 });
      set('M-01-pdu', now, { power_w: 10_600 });
      set('G-01-n1/gpu0', now, { util_pct: 90, power_w: 650 });
      set('G-01-n1/gpu1', now, { util_pct: 90, power_w: 650 });
      set('FAC', now, { power_w: 13_200 });
      return { model, devices, now, stale_after_ms: 60_000 };
    };
    const tmp = tempDir();
    const db = openDatabase(join(tmp.dir, 'day.db'));
    migrate(db, loadMigrations());
    const first = computeFigures(input(t0));
    const rollups = createScopeRollups(db, { scopes: registerScopes(db, scopeNames(first)), flushEveryMs: 10_000 });
    const ledger = createDayLedger('UTC', t0);
    for (let t = 0; t <= 600; t++) {
      const f = computeFigures(input(t0 + t * S), undefined, undefined, ledger);
      rollups.record(f, t0 + t * S);
      recordDay(ledger, t0 + t * S, f);
    }
    rollups.flush();
    const cost = dayTotals(ledger, 'site', t0 + 600 * S, 'UTC');
    // the site meter 13.2 kW for 600 s at $50/MWh: 0.0022 MWh, $0.11
    expect(cost.facility_mwh).toBeCloseTo(0.0022, 9);
    expect(cost.energy_cost_usd).toBeCloseTo(0.11, 9);
    const seed = readDaySums(db, MIDNIGHT, SCOPE_METRIC_CODE as ReadonlyMap<string, number>);
    const site = seed.get('site');
    expect(site?.energy_cost_usd).toBeCloseTo(cost.energy_cost_usd, 9);
    expect(site?.facility_mwh).toBeCloseTo(cost.facility_mwh, 9);
    // nothing before the day counts: a day that starts after these rows has none
    expect(readDaySums(db, MIDNIGHT + 86_400 * S, SCOPE_METRIC_CODE as ReadonlyMap<string, number>).size).toBe(0);
    const resumed = createDayLedger('UTC', t0 + 601 * S, seed);
    expect(dayTotals(resumed, 'site', t0 + 601 * S, 'UTC').energy_cost_usd).toBeCloseTo(0.11, 9);
    db.close();
    tmp.cleanup();
  });
});
