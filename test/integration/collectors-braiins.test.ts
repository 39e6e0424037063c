// The Braiins OS collector against a real HTTP server on loopback that speaks the Braiins OS REST API and
// serves the captures in test/fixtures/asic/braiins-grpc/ byte-exact (as published by asic-rs; see that
// folder's README), behind the login the firmware asks for. The devices come from a config naming
// `collector: braiins` and are polled by the scheduler; every field is asserted against the table below,
// whose numbers were read by hand from the files.
import http from 'node:http';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BraiinsSession, mapBraiins } from '../../server/collectors/braiins.js';
import { startScheduler } from '../../server/collectors/scheduler.js';
import { CollectorError, type CollectorSink } from '../../server/collectors/types.js';
import { parseConfig } from '../../server/config/index.js';
import type { MetricOf, Reading, SiteModel } from '../../server/core/types.js';
import { freePort } from '../helpers/net.js';

const FX = new URL('../fixtures/asic/braiins-grpc/', import.meta.url);
const fx = (name: string): Buffer => readFileSync(new URL(name, FX));

/** The REST path of each capture file's call. */
const CALLS: Record<string, string> = {
  '/api/v1/miner/stats': 'miner_stats',
  '/api/v1/miner/hw/hashboards': 'miner_hw_hashboards',
  '/api/v1/cooling/state': 'cooling_state',
  '/api/v1/miner/details': 'miner_details',
  '/api/v1/version/': 'version',
  '/api/v1/pools/': 'pools',
};

interface FakeBos {
  port: number;
  logins: number;
  /** paths asked for, in order, with the authorization they carried */
  requests: { path: string; auth: string | undefined }[];
  /** the next data request answers 401 as an expired session does */
  expire(): void;
}

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

/**
 * A Braiins OS miner's REST API: login checks the credentials and hands out a token (its reply shape is the
 * README example of braiins/bos-plus-api, reconstructed: no capture of it is published); every other call
 * wants that token in `authorization` and answers with the capture's bytes unchanged. `hang` accepts and
 * never answers.
 */
async function startBos(version: string, mode: 'ok' | 'hang' = 'ok'): Promise<FakeBos> {
  let n = 0;
  let token = '';
  let expireNext = false;
  const state: FakeBos = { port: 0, logins: 0, requests: [], expire: () => { expireNext = true; } };
  const server = http.createServer((req, res) => {
    if (mode === 'hang') return;
    const path = req.url ?? '';
    if (req.method === 'POST' && path === '/api/v1/auth/login') {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      req.on('end', () => {
        const creds = JSON.parse(body) as { username?: string; password?: string };
        if (creds.username !== 'root' || creds.password !== 'hunter2') return void res.writeHead(401).end('{"message":"Invalid credentials"}');
        state.logins++;
        token = `tok${++n}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, timeout_s: 3600 }));
      });
      return;
    }
    state.requests.push({ path, auth: req.headers.authorization });
    const file = CALLS[path];
    if (req.method !== 'GET' || file === undefined) return void res.writeHead(404).end();
    if (expireNext || req.headers.authorization !== token) {
      expireNext = false;
      token = '';
      return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}');
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(fx(`${version}_${file}.json`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}

type Row = Record<MetricOf<'asic'>, number | null>;

/** What the mapper alone gives for the pool figures: `pools/` is another call (issue 19). */
const NO_POOLS = { pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null };
/**
 * The scheduler's clock in the first test: real time, anchored at 1776446600 s so that the age of each
 * capture's last share (pools.json stats.last_share_time.seconds) is a number read by hand.
 */
const ANCHOR_S = 1776446600;

/**
 * Read by hand from the files. hashrate: miner_stats.real_hashrate.last_5s GH/s ÷ 1000; power:
 * power_stats.approximated_consumption.watt; chip / board: the highest hashboards[].highest_chip_temp /
 * board_temp; fan: mean of cooling_state.fans[].rpm; shares: pool_stats; chains: hashboards enabled and
 * hashing / listed; uptime: miner_details.bosminer_uptime_s. inlet/outlet (PCB sensors) and hw_errors (the
 * API gives an error rate, not a count) are null.
 */
const EXPECTED: Record<string, { model: string; row: Row }> = {
  // Antminer S19 XP, 2025-08-06 25.07-plus
  v25_07: { model: 'Antminer S19 XP', row: {
    hashrate_ths: 141463.56540072063 / 1000, power_w: 3137, chip_temp_c: 70.5, board_temp_c: 55.5,
    inlet_temp_c: null, outlet_temp_c: null, fan_rpm: (5904 + 5874 + 5874 + 5904) / 4, // 5889
    accepted_shares: 10464, rejected_shares: 18, hw_errors: null, chains_ok: 3, chains_total: 3, uptime_s: 69685,
    fan_min_rpm: 5874, nameplate_ths: 142876.598290866 / 1000, // min fans[].rpm; miner_stats.nominal_hashrate GH/s
    // pools.json, the active pool: rejected 18 of 10460 + 18 + 0 shares; last share at 1776446524
    pool_rejected_pct: 0.1718, pool_stale_pct: 0, last_share_age_s: ANCHOR_S - 1776446524,
  } },
  // Antminer S19 XP (CVITEK control board), 2025-11-21 25.11-plus
  v25_11: { model: 'Antminer S19 XP', row: {
    hashrate_ths: 121015.4090279137 / 1000, power_w: 2472, chip_temp_c: 71.5, board_temp_c: 56.5,
    inlet_temp_c: null, outlet_temp_c: null, fan_rpm: (5879 + 5819 + 5909 + 5909) / 4, // 5879
    accepted_shares: 5048, rejected_shares: 10, hw_errors: null, chains_ok: 3, chains_total: 3, uptime_s: 20359,
    fan_min_rpm: 5819, nameplate_ths: 119967.84610414201 / 1000,
    pool_rejected_pct: 0.1977, pool_stale_pct: 0, last_share_age_s: ANCHOR_S - 1776446537, // 10 of 5048 + 10 + 0
  } },
  // Antminer S21 Pro, 2026-04-14 26.04-plus
  v26_04: { model: 'Antminer S21 Pro', row: {
    hashrate_ths: 248186.67720002498 / 1000, power_w: 3480, chip_temp_c: 65.375, board_temp_c: 50.375,
    inlet_temp_c: null, outlet_temp_c: null, fan_rpm: (5943 * 3 + 5973) / 4, // 5950.5
    accepted_shares: 848, rejected_shares: 0, hw_errors: null, chains_ok: 3, chains_total: 3, uptime_s: 7039,
    fan_min_rpm: 5943, nameplate_ths: 252597.58314720003 / 1000,
    pool_rejected_pct: 0, pool_stale_pct: 0, last_share_age_s: ANCHOR_S - 1776445677, // 0 of 848
  } },
};

function siteYaml(ports: Record<string, number>, extra = ''): string {
  const devices = Object.entries(ports)
    .map(([v, port]) => `          - { id: bos-${v}, kind: asic, model: ${v === 'v26_04' ? 's21-pro' : 'antminer-s19-xp'}, address: "127.0.0.1:${port}", collector: braiins }`)
    .join('\n');
  // The S21 Pro is not in the catalogue here: its nameplate is the capture's sticker_hashrate (234,000 GH/s).
  return `site: { name: T }
models:
  s21-pro: { kind: asic, name: Antminer S21 Pro, nominal_ths: 234, nominal_power_w: 3510, max_temp_c: 95 }
halls:
  - id: H
    racks:
      - id: R
        row: 1
        col: 1
        rated_kw: 20
        devices:
${devices}
collectors:
  braiins: { interval_s: 0.2, timeout_ms: 500, concurrency: 4, username: root, password_env: BOS_PASSWORD${extra} }
`;
}

function load(yaml: string): SiteModel {
  const r = parseConfig(yaml, { env: { BOS_PASSWORD: 'hunter2' } });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.model;
}

function collect(): { sink: CollectorSink; accepted: Reading[]; errors: { device: string; reason: string; at: number }[] } {
  const accepted: Reading[] = [];
  const errors: { device: string; reason: string; at: number }[] = [];
  return {
    accepted, errors,
    sink: { accept: (r) => accepted.push(...r), deviceError: (device, reason) => errors.push({ device, reason, at: Date.now() }) },
  };
}

describe('Braiins OS REST captures polled through the scheduler', () => {
  it('reads every field of each capture, logged in with the configured password', async () => {
    const miners: Record<string, FakeBos> = {};
    for (const v of Object.keys(EXPECTED)) miners[v] = await startBos(v);
    const model = load(siteYaml(Object.fromEntries(Object.entries(miners).map(([v, m]) => [v, m.port]))));
    expect(model.collectors.braiins).toEqual({
      interval_s: 0.2, timeout_ms: 500, concurrency: 4, login: { username: 'root', password: 'hunter2' },
    });
    expect(model.devices.get('bos-v26_04')).toMatchObject({ collector: 'braiins', address: `127.0.0.1:${miners.v26_04.port}` });

    const { sink, accepted, errors } = collect();
    const t0 = Date.now();
    const now = (): number => ANCHOR_S * 1000 + (Date.now() - t0);
    const sched = startScheduler({ devices: [...model.devices.values()], catalogue: model.catalogue, settings: model.collectors, sink, now });
    await new Promise((r) => setTimeout(r, 700));
    await sched.stop();

    expect(errors).toEqual([]);
    for (const [v, { row }] of Object.entries(EXPECTED)) {
      const mine = accepted.filter((r) => r.device === `bos-${v}`);
      expect(mine.length, v).toBeGreaterThanOrEqual(2);
      expect(mine[0].metrics, v).toEqual(row);
      expect(mine[0].power_source, v).toBe('device');
      // The first poll asks for pools; the next ones, within 40 s, do not (and carry no pool figure).
      expect(mine[0].pools?.map((p) => [p.url, p.user, p.state, p.active]), v).toEqual([
        ['stratum+tcp://example.pool.com:3333', 'asic_rs.test', 'alive', true],
        ['stratum+tcp://example.pool2.com:3333', 'asic_rs.test', 'alive', false],
      ]);
      expect(mine[1].pools, v).toBeUndefined();
      expect(mine[1].metrics.pool_rejected_pct, v).toBeUndefined();
      expect(miners[v].requests.filter((q) => q.path === '/api/v1/pools/').length, v).toBe(1);
      // One login serves every poll: the session's token is reused, not fetched per poll.
      expect(miners[v].logins, v).toBe(1);
      expect(miners[v].requests.every((q) => q.auth === 'tok1'), v).toBe(true);
    }
    // The S21 Pro by the numbers: 248.19 TH/s, 3480 W.
    expect(accepted.find((r) => r.device === 'bos-v26_04')?.metrics.hashrate_ths).toBeCloseTo(248.1867, 4);
  });

  it('logs in again when the session expires, and keeps reading', async () => {
    const m = await startBos('v26_04');
    const s = new BraiinsSession(`http://127.0.0.1:${m.port}`, { username: 'root', password: 'hunter2' });
    const first = mapBraiins(await s.fetchAll(1000), { device: 'd', ts: 0 });
    m.expire();
    const second = mapBraiins(await s.fetchAll(1000), { device: 'd', ts: 0 });
    expect(m.logins).toBe(2);
    expect(second.metrics).toEqual(first.metrics);
    expect(second.metrics).toEqual({ ...EXPECTED.v26_04.row, ...NO_POOLS });
  });

  it('says a miner without the REST API (firmware before 25.07) is one, rather than a failed login', async () => {
    const server = http.createServer((_req, res) => void res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const reason = 'bad reply: HTTP 404 (no REST API: Braiins OS before 25.07?)';
    await expect(new BraiinsSession(base, { username: 'root', password: 'root' }).fetchAll(1000)).rejects.toEqual(new CollectorError(reason));
    await expect(new BraiinsSession(base, undefined).fetchAll(1000)).rejects.toEqual(new CollectorError(reason));
  });

  it('names a wrong password as a failed login', async () => {
    const m = await startBos('v26_04');
    const s = new BraiinsSession(`http://127.0.0.1:${m.port}`, { username: 'root', password: 'wrong' });
    await expect(s.fetchAll(1000)).rejects.toEqual(new CollectorError('bad reply: login failed (HTTP 401)'));
  });

  it('gives refused and timeout for a closed port and a hung miner, within the timeout', async () => {
    const hung = await startBos('v26_04', 'hang');
    const refused = await freePort();
    const model = load(siteYaml({ hung: hung.port, refused }));
    const { sink, accepted, errors } = collect();
    const started = Date.now();
    const sched = startScheduler({ devices: [...model.devices.values()], catalogue: model.catalogue, settings: model.collectors, sink });
    await new Promise((r) => setTimeout(r, 900));
    await sched.stop();

    expect(accepted).toEqual([]);
    const reasons = (id: string): Set<string> => new Set(errors.filter((e) => e.device === id).map((e) => e.reason));
    expect(reasons('bos-hung')).toEqual(new Set(['timeout']));
    expect(reasons('bos-refused')).toEqual(new Set(['refused']));
    // The first hung poll starts within one interval (0.2 s, jittered) and gives up at its 500 ms timeout
    // (300 ms slack for a loaded machine: a poll that waited for the socket's own timeout would take 10 s+).
    const firstHung = errors.find((e) => e.device === 'bos-hung');
    expect(firstHung).toBeDefined();
    expect((firstHung?.at ?? Infinity) - started).toBeLessThan(200 + 500 + 300);
  });
});

describe('Braiins OS replies mapped', () => {
  it('is null, never 0, for what a reply leaves out; a reply with no stats is a bad reply', () => {
    const stats = JSON.parse(fx('v26_04_miner_stats.json').toString('utf8')) as Record<string, unknown>;
    const r = mapBraiins({ stats }, { device: 'd', ts: 0 });
    expect(r.metrics).toEqual({
      ...EXPECTED.v26_04.row, ...NO_POOLS,
      chip_temp_c: null, board_temp_c: null, fan_rpm: null, fan_min_rpm: null, chains_ok: null, chains_total: null, uptime_s: null,
    });
    expect(() => mapBraiins({ stats: {} }, { device: 'd', ts: 0 })).toThrow('bad reply: no miner stats');
  });

  it('counts a board that is disabled or hashing 0 as not ok', () => {
    const stats = JSON.parse(fx('v25_07_miner_stats.json').toString('utf8')) as Record<string, unknown>;
    const boards = JSON.parse(fx('v25_07_miner_hw_hashboards.json').toString('utf8')) as { hashboards: Record<string, unknown>[] };
    // Edited copies of the capture (not device output): board 1 disabled, board 2 reporting 0 GH/s.
    boards.hashboards[0].enabled = false;
    const rates = (boards.hashboards[1].stats as { real_hashrate: { last_5s: { gigahash_per_second: number } } }).real_hashrate;
    rates.last_5s.gigahash_per_second = 0;
    const r = mapBraiins({ stats, hashboards: boards }, { device: 'd', ts: 0 });
    expect(r.metrics.chains_ok).toBe(1);
    expect(r.metrics.chains_total).toBe(3);
  });
});

describe('Braiins OS requests per sweep', () => {
  it('asks miner/details once per session: four GETs on the first sweep, three after; its uptime advances', async () => {
    const m = await startBos('v26_04');
    const s = new BraiinsSession(`http://127.0.0.1:${m.port}`, { username: 'root', password: 'hunter2' });
    const perSweep: string[][] = [];
    const readings: Reading[] = [];
    for (let i = 0; i < 3; i++) {
      const before = m.requests.length;
      readings.push(mapBraiins(await s.fetchAll(1000), { device: 'd', ts: 0 }));
      perSweep.push(m.requests.slice(before).map((q) => q.path).sort());
    }
    expect(perSweep[0]).toEqual(['/api/v1/cooling/state', '/api/v1/miner/details', '/api/v1/miner/hw/hashboards', '/api/v1/miner/stats']);
    expect(perSweep[1]).toEqual(['/api/v1/cooling/state', '/api/v1/miner/hw/hashboards', '/api/v1/miner/stats']);
    expect(perSweep[2]).toEqual(perSweep[1]);
    expect(m.logins).toBe(1);
    // bosminer_uptime_s 7039 in the capture; the cached one advances with the clock (these sweeps take < 5 s)
    expect(readings[0].metrics.uptime_s).toBe(7039);
    expect(readings[2].metrics.uptime_s).toBeGreaterThanOrEqual(7039);
    expect(readings[2].metrics.uptime_s).toBeLessThan(7039 + 5);
    // fetchAll without pools and mapBraiins alone: the pool metrics are the poll's to merge (issue 19), null here.
    expect({ ...readings[2].metrics, uptime_s: 0 })
      .toEqual({ ...EXPECTED.v26_04.row, uptime_s: 0, pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null });
  });

  it('asks details again after a new login (the miner may have rebooted)', async () => {
    const m = await startBos('v26_04');
    const s = new BraiinsSession(`http://127.0.0.1:${m.port}`, { username: 'root', password: 'hunter2' });
    await s.fetchAll(1000);
    m.expire();
    const before = m.requests.length;
    await s.fetchAll(1000);
    expect(m.requests.slice(before).map((q) => q.path)).toContain('/api/v1/miner/details');
  });
});
