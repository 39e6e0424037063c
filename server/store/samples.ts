import type { Db } from './db.js';
import type { ChunkGuard } from './chunks.js';
import {
  DEVICE_KINDS, METRICS_BY_KIND,
  type DeviceKind, type DeviceModel, type MetricName, type PowerSource, type Reading,
} from '../core/types.js';

const POWER_SOURCE_CODE: Record<PowerSource, number> = { device: 0, estimate: 1, meter: 2 };
const POWER_SOURCE_OF_CODE: PowerSource[] = ['device', 'estimate', 'meter'];

/**
 * Registers every configured device once and returns their integer keys (samples store the integer).
 * Only devices that are new or changed kind are written: upserting all 100,000 of a large site on every
 * start took 620 ms of its time to /healthz.
 */
export function registerDevices(db: Db, devices: Iterable<DeviceModel>): Map<string, number> {
  // One JSON document rather than a row each: about half the time of iterating 100,000 rows (212-421 vs
  // 357-628 ms measured on a loaded 2-core machine).
  const all = (db.prepare('SELECT json_group_array(json_array(id, name, kind)) AS j FROM devices').get() as { j: string }).j;
  const known = new Map<string, { id: number; kind: string }>();
  for (const [id, name, kind] of JSON.parse(all) as [number, string, string][]) known.set(name, { id, kind });
  const insert = db.prepare('INSERT INTO devices (name, kind) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET kind = excluded.kind RETURNING id');
  const ids = new Map<string, number>();
  for (const [name, k] of known) ids.set(name, k.id);
  db.transaction(() => {
    for (const d of devices) {
      if (known.get(d.id)?.kind === d.kind) continue;
      ids.set(d.id, (insert.get(d.id, d.kind) as { id: number }).id);
    }
  })();
  return ids;
}

export interface SampleStatements {
  insert: Record<DeviceKind, (ts: number, device: number, source: number | null, values: (number | null)[]) => void>;
  /** The same insert straight from a reading's metrics object (absent = NULL), without a values array. */
  insertMetrics(kind: DeviceKind, ts: number, device: number, source: number | null, metrics: Reading['metrics']): void;
}

/**
 * Prepared inserts, one per kind. INSERT OR REPLACE keyed by (ts, device): a duplicate reading for the
 * same device and timestamp is idempotent instead of counted twice. Parameters go through one array per
 * kind, reused: this is the ingest hot path, and a spread or a fresh array per row is garbage per row.
 * With a chunk guard, a reading older than the end of its kind's newest compacted window first has its
 * window put back into the raw table (chunks.ts); any other costs one comparison.
 */
export function prepareSampleInserts(db: Db, guard?: ChunkGuard): SampleStatements {
  const insert = {} as SampleStatements['insert'];
  const byKind = {} as Record<DeviceKind, { run: (params: (number | null)[]) => void; params: (number | null)[]; cols: readonly MetricName[] }>;
  for (const kind of DEVICE_KINDS) {
    const cols = METRICS_BY_KIND[kind] as readonly MetricName[];
    const stmt = db.prepare(
      `INSERT OR REPLACE INTO samples_${kind} (ts, device, power_source, ${cols.join(', ')}) VALUES (?, ?, ?${', ?'.repeat(cols.length)})`,
    );
    const params = new Array<number | null>(3 + cols.length).fill(null);
    byKind[kind] = { run: (p) => void stmt.run(p), params, cols };
    insert[kind] = (ts, device, source, values) => {
      if (guard !== undefined && ts < guard.below[kind]) guard.beforeInsert(kind, device, ts);
      params[0] = ts;
      params[1] = device;
      params[2] = source;
      for (let i = 0; i < cols.length; i++) params[3 + i] = values[i] ?? null;
      stmt.run(params);
    };
  }
  return {
    insert,
    insertMetrics(kind, ts, device, source, metrics) {
      const k = byKind[kind];
      const { params, cols } = k;
      if (guard !== undefined && ts < guard.below[kind]) guard.beforeInsert(kind, device, ts);
      params[0] = ts;
      params[1] = device;
      params[2] = source;
      for (let i = 0; i < cols.length; i++) params[3 + i] = metrics[cols[i]] ?? null;
      k.run(params);
    },
  };
}

/** The metric values of a reading in the column order of its kind's table (absent = NULL). */
export function rowValues(kind: DeviceKind, metrics: Reading['metrics']): (number | null)[] {
  const cols = METRICS_BY_KIND[kind] as readonly MetricName[];
  const out = new Array<number | null>(cols.length);
  for (let i = 0; i < cols.length; i++) out[i] = metrics[cols[i]] ?? null;
  return out;
}

export function powerSourceCode(src: PowerSource | undefined): number | null {
  return src === undefined ? null : POWER_SOURCE_CODE[src];
}

/** The stored power_source code back to its name (the restore reads it from rows and the checkpoint). */
export function powerSourceOf(code: number): PowerSource | undefined {
  return POWER_SOURCE_OF_CODE[code];
}

/** Count of stored raw samples (readings) per kind, both layers (the head and the chunks), for tests and the benchmark. */
export function countSamples(db: Db): Record<DeviceKind, number> {
  const out = {} as Record<DeviceKind, number>;
  for (const kind of DEVICE_KINDS) {
    out[kind] = (db.prepare(`SELECT (SELECT count(*) FROM samples_${kind}) + (SELECT coalesce(sum(n), 0) FROM chunks_${kind}) AS n`).get() as { n: number }).n;
  }
  return out;
}
