// The push body's shape, `{"readings": [...]}`, checked once for the route's two paths (parsed on the
// main thread, or in an ingest thread: parse-thread.ts), so both answer the same status and words.

import { NOT_A_PUSH } from './json.js';

export type PushShape =
  | { ok: true; readings: unknown[] }
  | { ok: false; status: 400 | 413; error: string };

export function pushReadings(parsed: unknown, maxReadings: number): PushShape {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, status: 400, error: NOT_A_PUSH };
  for (const k in parsed) {
    if (k !== 'readings') return { ok: false, status: 400, error: `${k}: unknown field (expected {"readings": [...]})` };
  }
  const readings = (parsed as { readings?: unknown }).readings;
  if (!Array.isArray(readings)) return { ok: false, status: 400, error: 'readings: expected an array' };
  if (readings.length > maxReadings) return { ok: false, status: 413, error: `readings: ${readings.length} readings in one body, at most ${maxReadings}` };
  return { ok: true, readings };
}
