// Remote write's pure parts and its delivery against a fetch of the test's own (server/remote/): the
// series names in base units, the `remote_write:` section and its errors by path, the bounded queue, and
// the sender's batching, order, retries and refusals, with plain hand-worked values.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthRouter } from '../../server/http/health.js';
import { parseConfig } from '../../server/config/index.js';
import { DEVICE_METRICS } from '../../server/core/vocabulary.js';
import type { RemoteWriteTarget } from '../../server/core/types.js';
import { decodeWriteRequest, encodeLabels, encodeSeries, encodeWriteRequest, type WriteRequest } from '../../server/remote/proto.js';
import { createSampleQueue } from '../../server/remote/queue.js';
import { createRemoteSender, retryAfterMs } from '../../server/remote/sender.js';
import { createSeriesIndex, deviceMetricName } from '../../server/remote/series.js';
import { createRemoteWrite } from '../../server/remote/writer.js';
import { SMALL_SITE_YAML, smallSite } from '../helpers/site.js';

describe('remote write series names', () => {
  it('every vocabulary metric has its base-unit name, written out by hand here', () => {
    const expected: Record<string, string> = {
      'asic/hashrate_ths': 'floorwatch_device_hashrate_hashes_per_second',
      'asic/power_w': 'floorwatch_device_power_watts',
      'asic/chip_temp_c': 'floorwatch_device_chip_temperature_celsius',
      'asic/board_temp_c': 'floorwatch_device_board_temperature_celsius',
      'asic/inlet_temp_c': 'floorwatch_device_inlet_temperature_celsius',
      'asic/outlet_temp_c': 'floorwatch_device_outlet_temperature_celsius',
      'asic/fan_rpm': 'floorwatch_device_fan_rpm',
      'asic/accepted_shares': 'floorwatch_device_accepted_shares',
      'asic/rejected_shares': 'floorwatch_device_rejected_shares',
      'asic/hw_errors': 'floorwatch_device_hw_errors',
      'asic/chains_ok': 'floorwatch_device_chains_ok',
      'asic/chains_total': 'floorwatch_device_chains_total',
      'asic/uptime_s': 'floorwatch_device_uptime_seconds',
      'asic/fan_min_rpm': 'floorwatch_device_fan_min_rpm',
      'asic/nameplate_ths': 'floorwatch_device_nameplate_hashes_per_second',
      'asic/pool_rejected_pct': 'floorwatch_device_pool_rejected_ratio',
      'asic/pool_stale_pct': 'floorwatch_device_pool_stale_ratio',
      'asic/last_share_age_s': 'floorwatch_device_last_share_age_seconds',
      'gpu/util_pct': 'floorwatch_device_utilization_ratio',
      'gpu/mem_util_pct': 'floorwatch_device_mem_utilization_ratio',
      'gpu/mem_used_mib': 'floorwatch_device_mem_used_bytes',
      'gpu/mem_total_mib': 'floorwatch_device_mem_total_bytes',
      'gpu/power_w': 'floorwatch_device_power_watts',
      'gpu/power_limit_w': 'floorwatch_device_power_limit_watts',
      'gpu/temp_c': 'floorwatch_device_temperature_celsius',
      'gpu/mem_temp_c': 'floorwatch_device_mem_temperature_celsius',
      'gpu/sm_clock_mhz': 'floorwatch_device_sm_clock_hertz',
      'gpu/throttle_thermal': 'floorwatch_device_throttle_thermal',
      'gpu/throttle_power': 'floorwatch_device_throttle_power',
      'gpu/xid_last': 'floorwatch_device_xid_last',
      'gpu/ecc_dbe_total': 'floorwatch_device_ecc_dbe_total',
      'env/inlet_temp_c': 'floorwatch_device_inlet_temperature_celsius',
      'env/outlet_temp_c': 'floorwatch_device_outlet_temperature_celsius',
      'env/humidity_pct': 'floorwatch_device_humidity_ratio',
      'pdu/power_w': 'floorwatch_device_power_watts',
      'pdu/feed_a_w': 'floorwatch_device_feed_a_watts',
      'pdu/feed_b_w': 'floorwatch_device_feed_b_watts',
      'pdu/current_a': 'floorwatch_device_current_amperes',
      'pdu/max_phase_current_a': 'floorwatch_device_max_phase_current_amperes',
      'cooling_loop/supply_temp_c': 'floorwatch_device_supply_temperature_celsius',
      'cooling_loop/return_temp_c': 'floorwatch_device_return_temperature_celsius',
      'cooling_loop/flow_lpm': 'floorwatch_device_flow_cubic_meters_per_second',
      'meter/power_w': 'floorwatch_device_power_watts',
      'probe/latency_ms': 'floorwatch_device_latency_seconds',
      'probe/loss_pct': 'floorwatch_device_loss_ratio',
      // no base unit for money: the name carries the currency and period, as /metrics' economics families
      'market/energy_price_usd_per_mwh': 'floorwatch_device_energy_price_usd_per_mwh',
      'market/hashprice_usd_per_ph_day': 'floorwatch_device_hashprice_usd_per_ph_day',
      'market/btc_usd': 'floorwatch_device_btc_usd',
      'market/network_difficulty': 'floorwatch_device_network_difficulty',
      'market/fees_btc_per_block': 'floorwatch_device_fees_btc_per_block',
      'ups/input_power_w': 'floorwatch_device_input_power_watts',
      'ups/output_power_w': 'floorwatch_device_output_power_watts',
      'ups/load_pct': 'floorwatch_device_load_ratio',
      'ups/battery_charge_pct': 'floorwatch_device_battery_charge_ratio',
      'ups/battery_runtime_s': 'floorwatch_device_battery_runtime_seconds',
      'ups/on_battery': 'floorwatch_device_on_battery',
      'network_link/rx_bps': 'floorwatch_device_rx_bytes_per_second',
      'network_link/tx_bps': 'floorwatch_device_tx_bytes_per_second',
      'network_link/oper_up': 'floorwatch_device_oper_up',
      'network_link/errors_per_s': 'floorwatch_device_errors_per_second',
      'network_link/latency_ms': 'floorwatch_device_latency_seconds',
      'network_link/loss_pct': 'floorwatch_device_loss_ratio',
    };
    const got = Object.fromEntries(DEVICE_METRICS.map((m) => [`${m.kind}/${m.name}`, deviceMetricName(m.name, m.unit).name]));
    expect(got).toEqual(expected);
  });

  it('converts to base units: TH/s ×1e12, % ÷100 (the same double as /metrics), MiB ×2^20, MHz ×1e6, L/min ÷60000', () => {
    expect(deviceMetricName('hashrate_ths', 'TH/s').convert(201.5)).toBe(201_500_000_000_000);
    expect(deviceMetricName('util_pct', '%').convert(57)).toBe(0.57);
    expect(deviceMetricName('mem_used_mib', 'MiB').convert(80)).toBe(83_886_080);
    expect(deviceMetricName('sm_clock_mhz', 'MHz').convert(1980)).toBe(1_980_000_000);
    expect(deviceMetricName('flow_lpm', 'L/min').convert(120)).toBe(0.002);
    expect(deviceMetricName('power_w', 'W').convert(3510.25)).toBe(3510.25);
    expect(deviceMetricName('latency_ms', 'ms').convert(12.5)).toBe(0.0125);
    expect(deviceMetricName('rx_bps', 'bit/s').convert(20_000_000)).toBe(2_500_000);
    expect(deviceMetricName('energy_price_usd_per_mwh', 'USD/MWh').convert(42.5)).toBe(42.5);
  });

  it('labels a device series with site, hall, rack, device, kind and model, sorted by name', () => {
    const model = smallSite();
    const idx = createSeriesIndex('Test site', [{}]);
    const power = idx.families('asic').get('power_w')!;
    const id = idx.deviceSeries(model.devices.get('M-01-02')!, power);
    expect(idx.takeNew()).toEqual([{
      id, to: [0], labels: [
        { name: '__name__', value: 'floorwatch_device_power_watts' }, { name: 'device', value: 'M-01-02' }, { name: 'hall', value: 'M' },
        { name: 'kind', value: 'asic' }, { name: 'model', value: 'antminer-s21' }, { name: 'rack', value: 'M-01' }, { name: 'site', value: 'Test site' },
      ],
    }]);
    // The same id each time, and made once: the thread learns each series' labels once.
    expect(idx.deviceSeries(model.devices.get('M-01-02')!, power)).toBe(id);
    expect(idx.takeNew()).toEqual([]);
    // The site meter has no hall, rack or model: those labels are left out, not empty.
    idx.deviceSeries(model.devices.get('FAC')!, idx.families('meter').get('power_w')!);
    expect(idx.takeNew()[0].labels.map((l) => l.name)).toEqual(['__name__', 'device', 'kind', 'site']);
  });

  it('write_relabel: include_kinds filters device series only; include_metrics filters every series', () => {
    const model = smallSite();
    const idx = createSeriesIndex('S', [{ include_kinds: ['gpu'] }, { include_metrics: ['floorwatch_device_power_watts', 'floorwatch_site_pue'] }, {}]);
    expect(idx.families('asic').get('power_w')?.to).toEqual([1, 2]);
    expect(idx.families('asic').get('chip_temp_c')?.to).toEqual([2]);
    expect(idx.families('gpu').get('util_pct')?.to).toEqual([0, 2]);
    const only = createSeriesIndex('S', [{ include_kinds: ['gpu'], include_metrics: ['floorwatch_device_power_watts'] }]);
    expect(only.families('asic').get('power_w')).toBeUndefined();
    expect(only.families('gpu').get('power_w')?.to).toEqual([0]);
    // Figures: only the named ones, each with its labels.
    const seen: string[] = [];
    idx.figures({ site: { pue: 1.25, it_power_w: 9000 }, halls: [], racks: [] } as unknown as Parameters<typeof idx.figures>[0], (r, v) => seen.push(`${r.to.join('+')}=${v}`));
    // include_kinds does not apply to figures (they have no kind): store 0 takes them all, store 1 only the PUE.
    expect(seen).toEqual(['0+2=9000', '0+1+2=1.25']);
  });
});

function load(section: string) {
  return parseConfig(`${SMALL_SITE_YAML}\n${section}\n`, { env: {} });
}

describe('config remote_write:', () => {
  it('is absent by default: nothing is written out', () => {
    const r = parseConfig(SMALL_SITE_YAML, { env: {} });
    expect(r.ok && r.model.remote_write).toBeUndefined();
  });

  it("reads each store with Prometheus' defaults", () => {
    const r = load(`remote_write:
  - url: "http://user:pw@vm:8428/api/v1/write"
  - name: mimir
    url: "https://mimir.example.net/api/v1/push"
    bearer_token: s3cret
    headers: { X-Scope-OrgID: site-a }
    timeout_s: 10
    queue: { capacity: 2500, max_shards: 4, max_samples_per_send: 500, batch_send_deadline_s: 1, min_backoff_s: 0.1, max_backoff_s: 10 }
    write_relabel: { include_kinds: [asic, gpu], include_metrics: [floorwatch_device_power_watts] }
  - { url: "http://prom:9090/api/v1/write", basic_auth: { username: fw, password: pw } }`);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const q = { capacity: 10_000, max_shards: 50, max_samples_per_send: 2000, batch_send_deadline_s: 5, min_backoff_s: 0.03, max_backoff_s: 5 };
    expect(r.model.remote_write).toEqual([
      { name: 'http://vm:8428/api/v1/write', url: 'http://user:pw@vm:8428/api/v1/write', headers: {}, timeout_s: 30, queue: q },
      {
        name: 'mimir', url: 'https://mimir.example.net/api/v1/push', headers: { 'X-Scope-OrgID': 'site-a' }, timeout_s: 10, bearer_token: 's3cret',
        queue: { capacity: 2500, max_shards: 4, max_samples_per_send: 500, batch_send_deadline_s: 1, min_backoff_s: 0.1, max_backoff_s: 10 },
        include_kinds: ['asic', 'gpu'], include_metrics: ['floorwatch_device_power_watts'],
      },
      { name: 'http://prom:9090/api/v1/write', url: 'http://prom:9090/api/v1/write', headers: {}, timeout_s: 30, queue: q, basic_auth: { username: 'fw', password: 'pw' } },
    ]);
  });

  it('reports every error by its path, in one pass, and keeps none of the bad stores', () => {
    const r = load(`remote_write:
  - { url: "ftp://x" }
  - { url: "http://a/w", bearer_token: t, basic_auth: { username: u, password: p }, nope: 1 }
  - { url: "http://b/w", headers: { Content-Type: text/plain, "X Bad": v, X-Ok: 3 }, timeout_s: 0 }
  - { url: "http://c/w", queue: { capacity: 10, max_samples_per_send: 20, max_shards: 0, min_backoff_s: 2, max_backoff_s: 1, batch: 1 } }
  - { url: "http://d/w", write_relabel: { include_kinds: [asic, toaster], include_metrics: [power_w, 3] } }
  - { url: "http://a/w" }
  - {}
  - 7`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'remote_write[0].url: expected an http(s) URL, got "ftp://x"',
      'remote_write[1].nope: unknown key',
      'remote_write[1].basic_auth: give bearer_token or basic_auth, not both',
      'remote_write[2].headers.Content-Type: set by remote write itself (use bearer_token or basic_auth for Authorization)',
      'remote_write[2].headers.X Bad: not a valid header name',
      'remote_write[2].headers.X-Ok: expected a string on one line',
      'remote_write[2].timeout_s: must be greater than 0',
      'remote_write[3].queue.batch: unknown key',
      'remote_write[3].queue.max_shards: expected a positive integer',
      'remote_write[3].queue.max_backoff_s: must be at least min_backoff_s (2)',
      'remote_write[3].queue.max_samples_per_send: must not exceed capacity (10)',
      'remote_write[4].write_relabel.include_kinds[1]: unknown device kind "toaster"',
      'remote_write[4].write_relabel.include_metrics[0]: unknown series name "power_w"',
      'remote_write[4].write_relabel.include_metrics[1]: expected a string',
      'remote_write[5].url: duplicate remote "http://a/w", first at remote_write[1]',
      "remote_write[6].url: expected an http(s) URL (the store's write endpoint, e.g. http://vm:8428/api/v1/write)",
      'remote_write[7]: expected an object',
    ]);
  });
});

/** The sender's series in these tests: id n is named s<n> (or as given). */
const names = new Map<number, string>();
const series = (id: number, name = `s${id}`): number => {
  names.set(id, name);
  return id;
};
const labelsOf = (id: number): Uint8Array => encodeLabels([{ name: '__name__', value: names.get(id) ?? `s${id}` }]);

describe('the wire format', () => {
  it("the fast encoder gives the reflected type's bytes, and they decode back exactly", () => {
    const req: WriteRequest = {
      timeseries: [
        { labels: [{ name: '__name__', value: 'floorwatch_device_power_watts' }, { name: 'device', value: 'M-01-02' }, { name: 'site', value: 'Site ü' }], samples: [{ value: 3510.25, timestamp: 1_764_010_800_123 }, { value: -0.5, timestamp: 1_764_010_810_123 }] },
        { labels: [{ name: '__name__', value: 'floorwatch_site_pue' }], samples: [{ value: 1.0625, timestamp: 1 }] },
      ],
    };
    const fast = encodeSeries(req.timeseries.map((t) => ({ labels: encodeLabels(t.labels), ts: t.samples.map((x) => x.timestamp), values: t.samples.map((x) => x.value) })));
    expect(fast.equals(encodeWriteRequest(req))).toBe(true);
    expect(decodeWriteRequest(fast)).toEqual(req);
  });
});

describe('the bounded queue', () => {
  it('drops its oldest sample when full, and hands out the rest oldest first', () => {
    const q = createSampleQueue(3);
    const s = series(0);
    expect([1, 2, 3].map((t) => q.push(s, t, t * 10))).toEqual([false, false, false]);
    expect(q.push(s, 4, 40)).toBe(true);
    expect(q.push(s, 5, 50)).toBe(true);
    expect(q.length).toBe(3);
    expect(q.take(2)).toEqual({ ids: [s, s], ts: [3, 4], values: [30, 40] });
    q.push(s, 6, 60);
    q.push(s, 7, 70);
    expect(q.take(10)).toEqual({ ids: [s, s, s], ts: [5, 6, 7], values: [50, 60, 70] });
    expect(q.length).toBe(0);
  });
});

function target(over: Partial<RemoteWriteTarget['queue']> = {}, t: Partial<RemoteWriteTarget> = {}): RemoteWriteTarget {
  return {
    name: 'r', url: 'http://store.invalid/api/v1/write', headers: { 'X-Scope-OrgID': 'site-a' }, timeout_s: 5,
    queue: { capacity: 100, max_shards: 1, max_samples_per_send: 4, batch_send_deadline_s: 0.05, min_backoff_s: 0.01, max_backoff_s: 0.08, ...over },
    ...t,
  };
}

interface Call { at: number; headers: Record<string, string>; body: WriteRequest }

/** A fetch that answers from a script (one status per call; the last repeats) and records each request. */
function fakeFetch(answers: { status: number; retryAfter?: string }[]) {
  const calls: Call[] = [];
  const fn: typeof fetch = async (_url, init) => {
    const h = new Headers(init?.headers);
    calls.push({ at: Date.now(), headers: Object.fromEntries(h.entries()), body: decodeWriteRequest(init?.body as Buffer) });
    const a = answers[Math.min(calls.length - 1, answers.length - 1)];
    return new Response(a.status === 204 ? null : 'x', { status: a.status, headers: a.retryAfter === undefined ? {} : { 'retry-after': a.retryAfter } });
  };
  return { fn, calls };
}

const until = async (what: string, pred: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const flat = (calls: Call[]) => calls.flatMap((c) => c.body.timeseries.flatMap((ts) => ts.samples.map((s) => [ts.labels[0].value, s.timestamp, s.value])));

describe('the sender', () => {
  it("sends full batches at once and the rest at the deadline, with the spec's headers, each series in order", async () => {
    const f = fakeFetch([{ status: 204 }]);
    const logs: string[] = [];
    const s = createRemoteSender({ labels: labelsOf, target: target({}, { bearer_token: 'tok' }), log: (_l, m) => logs.push(m), fetch: f.fn });
    const a = series(0, 'a');
    const b = series(1, 'b');
    for (let i = 1; i <= 5; i++) {
      s.add(a, i, i);
      s.add(b, i, -i);
    }
    await until('all sent', () => s.stats().sent === 10);
    expect(f.calls.map((c) => c.body.timeseries.reduce((n, ts) => n + ts.samples.length, 0))).toEqual([4, 4, 2]);
    // One TimeSeries per series in a request, its samples in the order they came.
    expect(f.calls[0].body.timeseries.map((ts) => [ts.labels[0].value, ts.samples.map((x) => x.timestamp)])).toEqual([['a', [1, 2]], ['b', [1, 2]]]);
    expect(flat(f.calls).filter(([n]) => n === 'a').map(([, t]) => t)).toEqual([1, 2, 3, 4, 5]);
    expect(f.calls[0].headers).toMatchObject({
      'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0',
      authorization: 'Bearer tok', 'x-scope-orgid': 'site-a', 'user-agent': 'Floorwatch',
    });
    expect(s.stats()).toMatchObject({ sent: 10, failed: 0, retried: 0, dropped: 0, pending: 0, highest_sent_ts: 5, shards: 1 });
    expect(logs).toEqual([]);
    await s.stop();
  });

  it('retries a 5xx with doubling back-off until it goes through; nothing is lost or sent twice', async () => {
    const f = fakeFetch([{ status: 503 }, { status: 500 }, { status: 502 }, { status: 204 }]);
    const s = createRemoteSender({ labels: labelsOf, target: target(), log: () => {}, fetch: f.fn });
    for (let i = 1; i <= 4; i++) s.add(series(0), i, i);
    await until('sent', () => s.stats().sent === 4);
    expect(f.calls.length).toBe(4);
    expect(s.stats()).toMatchObject({ retried: 12, failed: 0, dropped: 0 });
    const gaps = f.calls.slice(1).map((c, i) => c.at - f.calls[i].at);
    // 10, 20, 40 ms (min_backoff doubled); timers only promise "at least".
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(s.status().failing_since).toBeNull();
    await s.stop();
  });

  it('honours Retry-After on a 429', async () => {
    const f = fakeFetch([{ status: 429, retryAfter: '1' }, { status: 204 }]);
    const s = createRemoteSender({ labels: labelsOf, target: target(), log: () => {}, fetch: f.fn });
    for (let i = 1; i <= 4; i++) s.add(series(0), i, i);
    await until('sent', () => s.stats().sent === 4, 5000);
    expect(f.calls[1].at - f.calls[0].at).toBeGreaterThanOrEqual(990);
    expect(s.stats().retried).toBe(4);
    await s.stop();
  });

  it('does not retry any other 4xx: counted as failed, logged, and the next batch goes', async () => {
    const f = fakeFetch([{ status: 400 }, { status: 204 }]);
    const logs: string[] = [];
    const s = createRemoteSender({ labels: labelsOf, target: target(), log: (l, m) => logs.push(`${l} ${m}`), fetch: f.fn });
    for (let i = 1; i <= 8; i++) s.add(series(0), i, i);
    await until('both batches answered', () => s.stats().sent === 4);
    expect(f.calls.length).toBe(2);
    expect(flat(f.calls).map(([, t]) => t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.stats()).toMatchObject({ failed: 4, retried: 0, sent: 4 });
    expect(logs).toEqual(['error remote write: r refused 4 sample(s), not retried (4 in all): 400 x']);
    await s.stop();
  });

  it('while the store is down, keeps the newest `capacity` samples and counts the oldest dropped', async () => {
    let down = true;
    const calls: number[][] = [];
    const fn: typeof fetch = async (_u, init) => {
      const ts = decodeWriteRequest(init?.body as Buffer).timeseries.flatMap((t) => t.samples.map((x) => x.timestamp));
      if (down) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
      calls.push(ts);
      return new Response(null, { status: 204 });
    };
    const s = createRemoteSender({ labels: labelsOf, target: target({ capacity: 10, max_samples_per_send: 4 }), log: () => {}, fetch: fn });
    s.add(series(0), 0, 0); // below a batch: waits for the deadline, then fails and is retried
    await until('first try failed', () => s.stats().retried > 0);
    for (let i = 1; i <= 30; i++) s.add(series(0), i, i);
    // Pending: the ten queued and the one in flight.
    expect(s.stats()).toMatchObject({ pending: 11, dropped: 20 });
    expect(s.status().last_error).toBe('fetch failed: connect ECONNREFUSED');
    down = false;
    await until('all kept ones sent', () => s.stats().sent === 11);
    // The batch in flight (ts 0) and the newest ten (21-30), each once and in order.
    expect(calls.flat()).toEqual([0, ...Array.from({ length: 10 }, (_, i) => 21 + i)]);
    await s.stop();
  });

  it('stop() sends what is queued once and counts what could not go as dropped', async () => {
    const f = fakeFetch([{ status: 204 }]);
    const s = createRemoteSender({ labels: labelsOf, target: target({ batch_send_deadline_s: 60 }), log: () => {}, fetch: f.fn });
    s.add(series(0), 1, 1);
    s.add(series(0), 2, 2);
    await s.stop();
    expect(s.stats()).toMatchObject({ sent: 2, pending: 0, dropped: 0 });
    const g = fakeFetch([{ status: 503 }]);
    const t = createRemoteSender({ labels: labelsOf, target: target({ batch_send_deadline_s: 60 }), log: () => {}, fetch: g.fn });
    t.add(series(0), 1, 1);
    await t.stop();
    expect(t.stats()).toMatchObject({ sent: 0, pending: 0, dropped: 1 });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-02T04:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Wed, 02 Dec 2026 04:00:03 GMT', now)).toBe(3000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });
});

describe('remote write of the site, on its thread', () => {
  it('turns committed readings into samples (no sample for a null), and names a store failing for 5 minutes', async () => {
    const model = smallSite();
    const got: WriteRequest[] = [];
    const store = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push(decodeWriteRequest(Buffer.concat(chunks)));
        res.writeHead(503).end('x');
      });
    });
    await new Promise<void>((r) => store.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(store.address() as AddressInfo).port}/api/v1/write`;
    const rw = createRemoteWrite({
      site: model.name, devices: model.devices, targets: [target({ max_samples_per_send: 100, batch_send_deadline_s: 0.01, max_backoff_s: 60 }, { url })],
      log: () => {},
    });
    try {
      rw.committed([{ reading: { device: 'M-01-01', ts: 1_764_010_800_000, metrics: { hashrate_ths: 201.5, power_w: 3510, chip_temp_c: null } }, kind: 'asic', key: 1 }]);
      await until('sent, refused and reported', () => got.length >= 1 && rw.status()[0].failing_since !== null);
      expect(got[0].timeseries.map((t) => [t.labels.find((l) => l.name === '__name__')?.value, t.labels.find((l) => l.name === 'device')?.value, t.samples])).toEqual([
        ['floorwatch_device_hashrate_hashes_per_second', 'M-01-01', [{ value: 201_500_000_000_000, timestamp: 1_764_010_800_000 }]],
        ['floorwatch_device_power_watts', 'M-01-01', [{ value: 3510, timestamp: 1_764_010_800_000 }]],
      ]);
      await until('retried', () => rw.stats()[0].retried >= 2);
      expect(rw.stats()[0]).toMatchObject({ pending: 2, sent: 0 });
      const since = rw.status()[0].failing_since ?? 0;
      expect(rw.problems(since + 4 * 60_000)).toEqual([]);
      expect(rw.problems(since + 5 * 60_000)).toEqual(['remote_write r: failing for 5 min (503 x)']);
      const app = express();
      app.use(healthRouter({
        probe: async () => ({ ok: true, at: Date.now() }), draining: () => false, collectors: () => null, lastStoreError: () => null,
        alertmanagers: () => [], remotes: () => rw.problems(since + 5 * 60_000),
      }));
      const srv = createServer(app);
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const ready = await fetch(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/readyz`);
      srv.close();
      // A warning, as an Alertmanager's: ingest and the wall go on, and nothing is lost (it is in SQLite).
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', problems: [], warnings: ['remote_write r: failing for 5 min (503 x)'] });
    } finally {
      await rw.stop();
      store.close();
    }
    // What could not go at stop is counted as dropped.
    expect(rw.stats()[0]).toMatchObject({ dropped: 2, pending: 0 });
  });
});

describe('examples/remote-write/', () => {
  const dir = join(resolve(import.meta.dirname, '..', '..'), 'examples', 'remote-write');
  it('each Floorwatch snippet is a valid remote_write section', () => {
    for (const f of ['victoriametrics.floorwatch.yaml', 'prometheus.floorwatch.yaml']) {
      const r = parseConfig(`${SMALL_SITE_YAML}\n${readFileSync(join(dir, f), 'utf8')}`, { env: {} });
      if (!r.ok) throw new Error(`${f}: ${r.errors.join('; ')}`);
      expect(r.model.remote_write?.length, f).toBe(1);
    }
  });

  it("the receiving Prometheus' config passes promtool check config", () => {
    const r = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus-receiver.yml')], { encoding: 'utf8' });
    if (r.error) throw r.error;
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});
