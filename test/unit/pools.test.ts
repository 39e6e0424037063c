// Pools and probes, the pure parts (issue 19): matching a miner's pool to the expected ones, the edge's
// bounds, the firmware spellings of "last share", the probe figures, the pool figures and the config's
// errors by path, each on hand-worked values.
import { describe, expect, it } from 'vitest';
import { probeFigures } from '../../server/collectors/probe.js';
import { lastShareAge, parseCgminerPools, withPools } from '../../server/collectors/pools-parse.js';
import { parseConfig } from '../../server/config/index.js';
import { alertLabels } from '../../server/notify/alert.js';
import { activePool, matchPool, poolHostPort, poolKey, resolvePools, validatePools, type ExpectedPool, type PoolEntry } from '../../server/core/pools.js';
import type { DeviceLive, LiveInput, SiteModel } from '../../server/core/types.js';
import { poolFigures, POOL_REPORT_MAX_AGE_MS } from '../../server/figures/pools.js';
import { createSimPools, FAILOVER_FIRST_MS, FAILOVER_LASTS_MS, FAILOVER_EVERY_MS } from '../../server/sim/pools.js';
import { SMALL_SITE_YAML, smallSite } from '../helpers/site.js';

const e = (url: string, user: string, state: PoolEntry['state'], active: boolean, priority: number): PoolEntry => ({ url, user, state, active, priority });
const EXPECTED: ExpectedPool[] = [
  { name: 'main', url: 'stratum+tcp://BTC.pool.example:3333/', user: 'acme', host: 'btc.pool.example', port: 3333, probe: 'pool:main' },
];

describe('matching a miner\'s pool', () => {
  it('compares URLs without scheme, case or trailing slash, and users as account or account.worker', () => {
    expect(poolKey(' stratum+tcp://BTC.Pool.example:3333/ ')).toBe('btc.pool.example:3333');
    expect(poolKey('btc.pool.example:3333')).toBe('btc.pool.example:3333');
    expect(poolHostPort('stratum+tcp://[2001:db8::1]:3333')).toEqual({ host: '2001:db8::1', port: 3333 });
    expect(poolHostPort('stratum+tcp://btc.pool.example')).toBeNull();
    expect(matchPool(EXPECTED, { url: 'stratum://btc.pool.example:3333', user: 'acme.a-01-07' })?.name).toBe('main');
    expect(matchPool(EXPECTED, { url: 'stratum+tcp://btc.pool.example:3333', user: 'acme' })?.name).toBe('main');
    expect(matchPool(EXPECTED, { url: 'stratum+tcp://btc.pool.example:3333', user: 'acmex.1' })).toBeUndefined();
    expect(matchPool(EXPECTED, { url: 'stratum+tcp://btc.pool.example:3334', user: 'acme' })).toBeUndefined();
  });

  it('the active pool is the lowest-priority active one, else the first alive by priority', () => {
    const luxos = [e('a', 'u', 'alive', true, 2), e('b', 'u', 'alive', true, 0)];
    expect(activePool(luxos)?.url).toBe('b');
    expect(activePool([e('a', 'u', 'dead', false, 0), e('b', 'u', 'alive', false, 1)])?.url).toBe('b');
    expect(activePool([e('a', 'u', 'dead', false, 0)])).toBeUndefined();
  });
});

describe('a report resolved once, against the expected pools', () => {
  it('one vote per pool (LuxOS lists a URL per group), alive if any entry is; disabled ones left out', () => {
    const list = [
      e('stratum+tcp://btc.pool.example:3333', 'acme.1', 'dead', false, 0), e('stratum+tcp://btc.pool.example:3333', 'acme.1', 'alive', true, 1),
      e('stratum+tcp://other.example:1', 'x', 'dead', false, 2), e('stratum+tcp://off.example:1', 'x', 'disabled', false, 3),
    ];
    expect(resolvePools(EXPECTED, list)).toEqual({
      votes: [
        { id: 'main', url: 'stratum+tcp://BTC.pool.example:3333/', expected: true, alive: true },
        { id: 'other.example:1', url: 'stratum+tcp://other.example:1', expected: false, alive: false },
      ],
      active: 'main',
    });
    expect(resolvePools(EXPECTED, [e('stratum+tcp://btc.pool.example:3333', 'acme.1', 'dead', false, 0)]).active).toBeNull();
  });
});

describe('the edge', () => {
  it('bounds the list, the URL and the user, and refuses control characters', () => {
    const ok = { url: 'stratum+tcp://a:1', user: 'w', state: 'alive', active: true, priority: 0 };
    expect(validatePools([ok])).toEqual({ pools: [ok] });
    expect(validatePools(Array(17).fill(ok))).toEqual({ path: '', error: 'more than 16 pools' });
    expect(validatePools([{ ...ok, user: 'x'.repeat(129) }])).toEqual({ path: '[0].user', error: 'longer than 128 characters' });
    expect(validatePools([{ ...ok, user: 'a\nb' }])).toEqual({ path: '[0].user', error: 'contains a control character' });
    expect(validatePools([{ ...ok, url: '' }])).toEqual({ path: '[0].url', error: 'empty' });
    expect(validatePools([{ ...ok, priority: 1.5 }])).toEqual({ path: '[0].priority', error: 'expected an integer 0..1000' });
    expect(validatePools([{ ...ok, extra: 1 }])).toEqual({ path: '[0].extra', error: 'unknown field' });
    expect(validatePools({})).toEqual({ path: '', error: 'expected a list of pools' });
  });

  it('a firmware pool with a control character in its URL is left out, not stored', () => {
    const r = parseCgminerPools({ POOLS: [{ URL: 'stratum+tcp://a:1\u001b[31m', User: 'w', Status: 'Alive', 'Stratum Active': true }, { URL: 'stratum+tcp://b:2', User: 'w', Status: 'Alive', 'Stratum Active': false, Priority: 1 }] });
    expect(r?.pools.map((p) => p.url)).toEqual(['stratum+tcp://b:2']);
  });
});

describe('pool figures of one poll', () => {
  it('reads "Last Share Time" in each firmware spelling', () => {
    expect(lastShareAge('0:00:03', null)).toBe(3); // bmminer
    expect(lastShareAge('01:02:03', null)).toBe(3723); // LuxOS
    expect(lastShareAge(1761061364, 1761061371)).toBe(7); // btminer epoch against When
    expect(lastShareAge(0, 1761061371)).toBeNull(); // no share yet
    expect(lastShareAge('0', 1761061371)).toBeNull();
    expect(lastShareAge('', null)).toBeNull(); // Elphapex lstime
    expect(lastShareAge(31279, 1753431847)).toBeNull(); // Avalon: neither an age nor an epoch
    expect(lastShareAge(1761061380, 1761061371)).toBeNull(); // a share "in the future": not a figure
  });

  it('not asked: no pool figure at all (the live state carries the last); asked, unanswered: null', () => {
    const m: Record<string, number | null> = { hashrate_ths: 1, pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null };
    expect(withPools(m, undefined)).toBeUndefined();
    expect(m).toEqual({ hashrate_ths: 1 });
    withPools(m, null);
    expect(m).toEqual({ hashrate_ths: 1, pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null });
  });

  it('probe: mean of the connects that completed, loss the share that did not', () => {
    expect(probeFigures([{ ok: true, ms: 10 }, { ok: true, ms: 20 }, { ok: false, reason: 'timeout' }, { ok: true, ms: 30 }, { ok: false, reason: 'refused' }]))
      .toEqual({ latency_ms: 20, loss_pct: 40 });
    expect(probeFigures([{ ok: false, reason: 'refused' }])).toEqual({ latency_ms: null, loss_pct: 100 });
    expect(probeFigures([])).toEqual({ latency_ms: null, loss_pct: null });
  });
});

describe('pool figures of the site', () => {
  const NOW = 1_800_000_000_000;
  const model = (): SiteModel => {
    const m = smallSite(`${SMALL_SITE_YAML}
pools:
  - { name: main, url: "stratum+tcp://btc.pool.example:3333", user: acme }
`);
    return m;
  };
  const input = (m: SiteModel, set: (id: string, live: DeviceLive) => void): LiveInput => {
    const devices = new Map<string, DeviceLive>();
    for (const d of m.devices.values()) devices.set(d.id, { model: d, ts: null, metrics: {} });
    for (const [id, live] of devices) set(id, live);
    return { model: m, devices, now: NOW, stale_after_ms: 60_000 };
  };
  const MAIN = 'stratum+tcp://btc.pool.example:3333';
  const report = (m: SiteModel, ts: number, list: PoolEntry[]): DeviceLive['pools'] => ({ ts, list, resolved: resolvePools(m.pools ?? [], list) });

  it('unknown with nobody to tell; up with one miner alive on it; down when its probe lost every connect', () => {
    const m = model();
    expect(poolFigures(input(m, () => {}))).toEqual([{
      id: 'main', url: MAIN, expected: true, miners: 0, reporting_alive: 0, reporting_dead: 0,
      probe_latency_ms: null, probe_loss_pct: null, up: null, down_reason: null,
    }]);
    const f = poolFigures(input(m, (id, live) => {
      if (id === 'M-01-01') Object.assign(live, { ts: NOW - 1000, metrics: { hashrate_ths: 1 }, pools: report(m, NOW - 1000, [e(MAIN, 'acme.1', 'alive', true, 0)]) });
      // a stale miner's report does not count, nor a report older than POOL_REPORT_MAX_AGE_MS
      if (id === 'M-01-02') Object.assign(live, { ts: NOW - 120_000, pools: report(m, NOW - 120_000, [e(MAIN, 'acme.2', 'dead', false, 0)]) });
      if (id === 'M-01-03') Object.assign(live, { ts: NOW - 1000, pools: report(m, NOW - POOL_REPORT_MAX_AGE_MS - 1, [e(MAIN, 'acme.3', 'dead', false, 0)]) });
      if (id === 'pool:main') Object.assign(live, { ts: NOW - 1000, metrics: { latency_ms: null, loss_pct: 100 } });
    }));
    expect(f[0]).toMatchObject({ miners: 1, reporting_alive: 1, reporting_dead: 0, probe_loss_pct: 100, up: false, down_reason: 'probe: every connect failed' });
    const both = poolFigures(input(m, (id, live) => {
      if (id === 'M-01-01' || id === 'M-01-02') Object.assign(live, { ts: NOW - 1000, pools: report(m, NOW - 1000, [e(MAIN, 'acme', 'dead', false, 0)]) });
      if (id === 'pool:main') Object.assign(live, { ts: NOW - 1000, metrics: { latency_ms: null, loss_pct: 100 } });
    }));
    expect(both[0]).toMatchObject({ miners: 0, reporting_dead: 2, up: false, down_reason: 'dead on 2 of 2 miners; probe: every connect failed' });
  });
});

describe('pool figures at scale', () => {
  it('100,000 miners with three pools each within a tick budget (each report resolved once, at arrival)', () => {
    const m = smallSite(`${SMALL_SITE_YAML}
pools:
  - { name: main, url: "stratum+tcp://btc.pool.example:3333", user: acme }
`);
    const now = 1_800_000_000_000;
    const devices = new Map<string, DeviceLive>();
    for (let i = 0; i < 100_000; i++) {
      const list = [
        e('stratum+tcp://btc.pool.example:3333', `acme.w${i}`, 'alive', true, 0),
        e('stratum+tcp://b.pool.example:443', `acme.w${i}`, 'alive', false, 1),
        e('stratum+tcp://c.pool.example:443', `acme.w${i}`, i % 2 ? 'dead' : 'alive', false, 2),
      ];
      devices.set(`m${i}`, { model: { id: `m${i}`, kind: 'asic' }, ts: now, metrics: {}, pools: { ts: now, list, resolved: resolvePools(m.pools ?? [], list) } });
    }
    const input: LiveInput = { model: m, devices, now, stale_after_ms: 60_000 };
    poolFigures(input);
    const t = performance.now();
    let f = poolFigures(input);
    for (let k = 0; k < 4; k++) f = poolFigures(input);
    const ms = (performance.now() - t) / 5;
    console.log(`pool figures: ${ms.toFixed(1)} ms per tick at 100,000 miners`);
    expect(f.map((p) => [p.id, p.miners, p.reporting_alive, p.reporting_dead])).toEqual([
      ['main', 100_000, 100_000, 0], ['b.pool.example:443', 0, 100_000, 0], ['c.pool.example:443', 0, 50_000, 50_000],
    ]);
    expect(ms).toBeLessThan(250);
  });
});

describe('config pools: and probes:', () => {
  it('reports every error by its path, in one pass', () => {
    const r = parseConfig(`${SMALL_SITE_YAML}
pools:
  - { name: main, url: "stratum+tcp://btc.pool.example" }
  - { name: b, url: "stratum+tcp://b.example:1", user: "a\\tb" }
  - { name: c, url: "stratum+tcp://c.example:1", colour: red }
  - { name: d, url: "stratum+tcp://d.example:1" }
  - { name: d, url: "stratum+tcp://e.example:1" }
  - { name: f, url: "stratum://D.example:1/" }
probes:
  - { name: gw, target: "nohost" }
  - { target: "10.0.0.1:443" }
  - { name: M-01-01, target: "10.0.0.1:443" }
`, { env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'pools[0].url: expected a stratum URL with host and port (stratum+tcp://host:port), got "stratum+tcp://btc.pool.example"',
      'pools[1].user: contains a control character',
      'pools[2].colour: unknown key',
      'pools[4].name: duplicate pool name "d", first at pools[3].name',
      'pools[5].url: the same pool as pools[3].url',
      'probes[0].target: expected host:port (e.g. 10.0.1.17:4028), got "nohost"',
      'probes[1].name: expected a name',
    ]);
  });

  it('a rack device cannot name a probe endpoint; an Alertmanager alert of a pool carries its pool', () => {
    const r = parseConfig(SMALL_SITE_YAML.replace('- { id: M-01-env, kind: env }', '- { id: M-01-env, kind: env, probe: "10.0.0.1:443" }'), { env: {} });
    expect(r.ok ? [] : r.errors).toEqual(['halls[0].racks[0].devices[2].probe: not a key of a rack device (probes are listed under probes:)']);
    expect(alertLabels(smallSite(), { alertname: 'PoolDead', severity: 'critical', scope: 'pool:main' }))
      .toEqual({ alertname: 'PoolDead', severity: 'critical', site: 'Test site', pool: 'main', scope: 'pool:main' });
  });
});

describe('the demo\'s pools', () => {
  it('fails the primary over for six minutes every hour, the miners moving to the backup and back', () => {
    const m = smallSite(`${SMALL_SITE_YAML}
pools:
  - { name: primary, url: "stratum+tcp://p.example:3333", user: acme }
  - { name: backup, url: "stratum+tcp://b.example:443", user: acme }
`);
    const t0 = 1_800_000_000_000;
    const sim = createSimPools(m, t0);
    const d = m.devices.get('M-01-01')!;
    const none = (): number => 0;
    const active = (ts: number): string | undefined => activePool(sim.miner(d, ts, 0, none)!.pools)?.url;
    expect(active(t0)).toBe('stratum+tcp://p.example:3333');
    expect(sim.outage(t0 + FAILOVER_FIRST_MS)).toBe(true);
    expect(active(t0 + FAILOVER_FIRST_MS + 1000)).toBe('stratum+tcp://b.example:443');
    expect(sim.miner(d, t0 + FAILOVER_FIRST_MS, 0, none)!.pools[0]).toMatchObject({ state: 'dead', user: 'acme.M0101' });
    expect(active(t0 + FAILOVER_FIRST_MS + FAILOVER_LASTS_MS)).toBe('stratum+tcp://p.example:3333');
    expect(sim.outage(t0 + FAILOVER_FIRST_MS + FAILOVER_EVERY_MS + 1)).toBe(true);
    expect(sim.probes(t0 + FAILOVER_FIRST_MS, none).find((p) => p.device === 'pool:primary')?.metrics).toEqual({ latency_ms: null, loss_pct: 100 });
    expect(sim.probes(t0, none).find((p) => p.device === 'pool:primary')?.metrics).toEqual({ latency_ms: 38, loss_pct: 0 });
  });
});
