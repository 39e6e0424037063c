import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import { ingestRouter } from '../../server/http/ingest.js';
import { PARSE_POOL_MIN_BYTES, type ParsePool, type ParseResult } from '../../server/ingest/parse-pool.js';
import type { IngestPipeline } from '../../server/ingest/pipeline.js';
import type { Db } from '../../server/store/db.js';
import { post, smallSite, tempDir } from '../helpers/site.js';

// Large push bodies are parsed and validated in an ingest thread (server/ingest/parse-thread.ts); the
// answer, what is stored and what the live view shows must be exactly what the main-thread path gives.
// Two real servers on the same site, one with a thread and one without, get the same bodies.

const pad = (text: string): string => text + ' '.repeat(Math.max(0, PARSE_POOL_MIN_BYTES + 10 - Buffer.byteLength(text)));

function corpus(ts: number): [string, string][] {
  const many = Array.from({ length: 120 }, (_, i) => ({ device: `M-01-0${1 + (i % 3)}`, ts: ts - 120_000 + i * 1000, metrics: { hashrate_ths: 190 + i / 7, power_w: 3400 + i, fan_rpm: i % 5 === 0 ? null : 5000 + i } }));
  const mixed = {
    readings: [
      { device: 'M-01-01', ts, metrics: { hashrate_ths: 201.5, power_w: 3510 }, power_source: 'estimate', pools: [{ url: 'stratum+tcp://pool.example:3333', user: 'acct.w1', state: 'alive', active: true, priority: 0 }] },
      { device: 'NO-SUCH', ts, metrics: { power_w: 1 } },
      { device: 'M-01-02', ts: new Date(ts).toISOString(), metrics: { hashrate_ths: 'fast', power_w: 3400 } },
      { device: 'G-01-n1/gpu1', ts, metrics: { util_pct: 87, mem_temp_c: null } },
      { device: 'M-01-pdu', ts, metrics: { power_w: -5 } },
      { device: 'M-01-pdu', ts: ts + 10 * 60_000, metrics: { power_w: 5 } },
      { device: 'M-01-env', ts, metrics: { inlet_temp_c: 24.5, nonsense: 1 }, extra: true },
      { device: 'M-01-03', ts, metrics: { hashrate_ths: 200 }, pools: 'not a list' },
      7,
    ],
  };
  return [
    ['a mixed batch', pad(JSON.stringify(mixed))],
    ['120 readings, some named null', pad(JSON.stringify({ readings: many }))],
    ['a UTF-8 BOM first', `\ufeff${pad(JSON.stringify({ readings: many.slice(0, 3) }))}`],
    ['not JSON', pad('{"readings": [')],
    ['a name given twice at the top', pad('{"readings":[{"device":"M-01-01","metrics":{"power_w":1}}],"readings":[]}')],
    ['a name given twice in a metric', pad(`{"readings":[{"device":"M-01-01","ts":${ts},"metrics":{"power_w":1,"power_w":2}}]}`)],
    ['not an object', pad('[1,2]')],
    ['an unknown field', pad('{"readings":[],"pad":1}')],
    ['readings not an array', pad('{"readings":{"device":"M-01-01"}}')],
    ['no readings', pad('{"readings":[]}')],
  ];
}

function stored(db: Db): unknown[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'samples\\_%' ESCAPE '\\' OR name LIKE 'rollup\\_%\\_minute' ESCAPE '\\') ORDER BY name").pluck().all() as string[];
  return tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()]);
}

describe('ingest threads: the same answers, rows and live view as the main thread', () => {
  const t = tempDir();
  let threaded: RunningServer;
  let inline: RunningServer;

  beforeAll(async () => {
    const opts = { model: smallSite(), port: 0, host: '127.0.0.1', log: () => {}, collectors: false } as const;
    threaded = await startServer({ ...opts, dbPath: join(t.dir, 'threaded.db'), ingestThreads: 1 });
    inline = await startServer({ ...opts, dbPath: join(t.dir, 'inline.db'), ingestThreads: 0 });
  });
  afterAll(async () => {
    await threaded?.close();
    await inline?.close();
    t.cleanup();
  });

  it('answers every body of the corpus alike, stores and shows the same', async () => {
    expect(threaded.parsePool).toBeDefined();
    expect(inline.parsePool).toBeUndefined();
    const ts = Date.now() - 1000;
    const bodies = corpus(ts);
    for (const [what, raw] of bodies) {
      expect(Buffer.byteLength(raw), what).toBeGreaterThanOrEqual(PARSE_POOL_MIN_BYTES);
      const a = await post(`${threaded.url}/api/v1/ingest`, null, { raw });
      const b = await post(`${inline.url}/api/v1/ingest`, null, { raw });
      expect({ what, status: a.status, json: a.json }).toEqual({ what, status: b.status, json: b.json });
    }
    // every body went through the thread, none failed over to the main thread
    expect(threaded.parsePool?.stats()).toEqual({ bodies: bodies.length, failures: 0 });
    const mixed = (await post(`${threaded.url}/api/v1/ingest`, null, { raw: bodies[0][1] })).json;
    expect(mixed.accepted).toBe(5);
    expect((mixed.rejected as { field: string }[]).map((e) => e.field)).toEqual(["readings[1].device", "readings[2].metrics.hashrate_ths", "readings[4].metrics.power_w", "readings[5].ts", "readings[6].extra", "readings[6].metrics.nonsense", "readings[7].pools", "readings[8]"]);

    const rowsA = stored(threaded.db);
    expect(rowsA).toEqual(stored(inline.db));
    expect(JSON.stringify(rowsA).length).toBeGreaterThan(5000);
    for (const [id, view] of inline.live.devices) expect({ id, view: threaded.live.devices.get(id) }).toEqual({ id, view });
    const m1 = threaded.live.devices.get('M-01-01');
    expect(m1?.pools?.list[0].user).toBe('acct.w1');
    expect(threaded.live.devices.get('G-01-n1/gpu1')?.metrics.mem_temp_c).toBeNull();
  });
});

describe('ingest route: a thread that fails leaves the body to the main thread', () => {
  it('answers from the main thread when the pool rejects or its thread threw', async () => {
    const submitted: unknown[][] = [];
    const pipeline: IngestPipeline = {
      submit: (raws) => (submitted.push([...raws]), Promise.resolve({ accepted: raws.length, rejected: [] })),
      submitValidated: () => Promise.reject(new Error('not used')),
    };
    const answers: (() => Promise<ParseResult>)[] = [
      () => Promise.reject(new Error('ingest thread exited (1)')),
      () => Promise.resolve({ ok: false, status: 500, error: 'a bug in the thread' }),
    ];
    let calls = 0;
    const pool: ParsePool = {
      parse: () => answers[calls++](),
      stats: () => ({ bodies: 0, failures: 0 }),
      close: () => Promise.resolve(),
    };
    const app = express().use(ingestRouter({ model: smallSite(), pipeline, parsePool: pool }));
    const http = createServer(app);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/v1/ingest`;
      const raw = pad(JSON.stringify({ readings: [{ device: 'M-01-01', metrics: { power_w: 1 } }] }));
      for (let i = 0; i < answers.length; i++) {
        const r = await post(url, null, { raw });
        expect(r.status).toBe(200);
        expect(r.json).toEqual({ accepted: 1, rejected: [] });
      }
      expect(calls).toBe(2);
      expect(submitted).toEqual([[{ device: 'M-01-01', metrics: { power_w: 1 } }], [{ device: 'M-01-01', metrics: { power_w: 1 } }]]);
    } finally {
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});
