// The peers section's load (test/bench/peers.ts): one telemetry, encoded for each peer, pushed by the
// same clients with the same body size. Floorwatch gets its push JSON (POST /api/v1/ingest, acknowledged
// by a 200 that accepted the whole body, after its commit); VictoriaMetrics gets Influx line protocol
// (POST /write?precision=ms, acknowledged by a 204): one line a reading, one field a metric, so each
// metric is a sample of `floorwatch_<metric>{device, kind}`.

import type { DeviceModel, Reading } from '../../server/core/types.js';
import { cpuSeconds } from './proc.js';
import { BENCH_TOKEN } from './site.js';

export type PeerName = 'floorwatch' | 'victoria_metrics';

/** A running peer: where to push, the process whose CPU is its cost, and the two ways to end it. */
export interface Peer {
  name: PeerName;
  url: string;
  pid: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** One reading, encoded once for each peer around its timestamp: a body is then a concatenation. */
export interface ReadingText {
  device: string;
  /** `{"device":…,"ts":` and `,"metrics":{…}}` */
  jsonHead: string;
  jsonTail: string;
  /** `floorwatch,device=…,kind=… metric=value,…` (the timestamp follows after a space) */
  line: string;
  samples: number;
}

const escapeTag = (v: string): string => v.replace(/[ ,=\\]/g, (c) => `\\${c}`);

export function readingText(device: DeviceModel, metrics: Reading['metrics']): ReadingText {
  const fields: string[] = [];
  const json: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    // null and NaN are "not reported": neither peer is sent a sample for them.
    if (typeof v !== 'number' || v !== v) continue;
    json[k] = v;
    fields.push(`${k}=${String(v)}`);
  }
  return {
    device: device.id,
    jsonHead: `{"device":${JSON.stringify(device.id)},"ts":`,
    jsonTail: `,"metrics":${JSON.stringify(json)}}`,
    line: `floorwatch,device=${escapeTag(device.id)},kind=${escapeTag(device.kind)} ${fields.join(',')}`,
    samples: fields.length,
  };
}

/** A body's readings, each with its timestamp. */
export interface BodyReadings {
  readings: readonly ReadingText[];
  ts: readonly number[];
}

export function encodeBody(peer: PeerName, b: BodyReadings): string {
  const parts = new Array<string>(b.readings.length);
  if (peer === 'floorwatch') {
    for (let i = 0; i < parts.length; i++) parts[i] = b.readings[i].jsonHead + String(b.ts[i]) + b.readings[i].jsonTail;
    return `{"readings":[${parts.join(',')}]}`;
  }
  for (let i = 0; i < parts.length; i++) parts[i] = `${b.readings[i].line} ${b.ts[i]}`;
  return parts.join('\n');
}

/** POSTs one body; true only when the peer acknowledged all of it. A refused or cut connection is false. */
export async function pushBody(peer: Peer, text: string, readings: number): Promise<boolean> {
  try {
    if (peer.name === 'victoria_metrics') {
      const res = await fetch(`${peer.url}/write?precision=ms`, { method: 'POST', body: text });
      await res.arrayBuffer();
      return res.status === 204;
    }
    const res = await fetch(`${peer.url}/api/v1/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` }, body: text,
    });
    const json = (await res.json().catch(() => ({}))) as { accepted?: number };
    return res.status === 200 && json.accepted === readings;
  } catch {
    return false;
  }
}

export interface PushResult {
  bodies: number;
  readings: number;
  samples: number;
  failed: number;
  seconds: number;
  /** the peer process's user + system CPU over the push (null when it did not outlive it) */
  cpu_s: number | null;
}

/**
 * `clients` concurrent clients take bodies 0, 1, 2, … in turn until `bodies` are sent or `stop()` says so;
 * every acknowledged one is reported to `acked` with the time of its acknowledgement.
 */
export async function push(peer: Peer, o: {
  clients: number; bodies: number; body: (n: number) => BodyReadings;
  stop?: () => boolean; acked?: (n: number, b: BodyReadings, at: number) => void;
  /** a refused body is sent again this many times, 200 ms apart (the at-rest phase needs every sample) */
  retries?: number;
}): Promise<PushResult> {
  let next = 0;
  let bodies = 0;
  let readings = 0;
  let samples = 0;
  let failed = 0;
  const cpu0 = cpuSeconds(peer.pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: o.clients }, async () => {
    while (next < o.bodies && !(o.stop?.() ?? false)) {
      const n = next++;
      const b = o.body(n);
      const text = encodeBody(peer.name, b);
      let ok = await pushBody(peer, text, b.readings.length);
      for (let r = 0; !ok && r < (o.retries ?? 0); r++) {
        await new Promise((res) => setTimeout(res, 200));
        ok = await pushBody(peer, text, b.readings.length);
      }
      if (!ok) {
        failed++;
        continue;
      }
      o.acked?.(n, b, performance.now());
      bodies++;
      readings += b.readings.length;
      for (const r of b.readings) samples += r.samples;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  let cpu_s: number | null = null;
  try {
    cpu_s = cpuSeconds(peer.pid) - cpu0;
  } catch {
    /* the peer is gone (the kill phase) */
  }
  return { bodies, readings, samples, failed, seconds, cpu_s };
}
