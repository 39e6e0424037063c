import type { DeviceKind, SiteModel } from '../core/types.js';
import type { FieldError, RejectReason } from '../core/validate.js';
import { validateSlice } from './batch.js';
import { readValidated, type ValidatedRows } from './validated.js';
import type { LiveState } from '../live/state.js';
import type { StoredReading, Writer } from '../store/writer.js';

/** Readings validated between two yields to the event loop. */
export const VALIDATE_SLICE = 2000;

export interface IngestResult {
  accepted: number;
  rejected: FieldError[];
}

export interface IngestCounters {
  samples(n: number): void;
  rejected(reason: RejectReason, n: number): void;
}

export interface IngestPipeline {
  /**
   * The one path in. Validates raw readings from any source, commits the good ones (group commit)
   * and only then applies them to the live state and resolves. Rejects (throws) only when the
   * store could not commit: then nothing of the batch was acknowledged.
   */
  submit(raws: readonly unknown[]): Promise<IngestResult>;
  /**
   * The same for readings validated already by an ingest thread (parse-thread.ts, the same validateSlice):
   * committed, applied and counted as submit's are.
   */
  submitValidated(v: ValidatedBody): Promise<IngestResult>;
}

/** An ingest thread's answer for one body's readings. */
export interface ValidatedBody {
  rows: ValidatedRows;
  errors: FieldError[];
  samples: number;
}

export function createIngestPipeline(opts: {
  model: SiteModel;
  keys: ReadonlyMap<string, number>;
  writer: Writer;
  live: LiveState;
  counters?: IngestCounters;
  /** told of each committed batch after the live view has it (remote write): only queues, never throws */
  committed?: (rows: readonly StoredReading[]) => void;
  /** told after each commit that changed the live view (the hub then schedules a socket update): never throws */
  changed?: () => void;
  now?: () => number;
}): IngestPipeline {
  const { model, keys, writer, live, counters } = opts;
  const now = opts.now ?? Date.now;
  const rawRetentionMs = model.retention.raw_hours * 3_600_000;

  const deviceOfKey: (string | undefined)[] = [];
  for (const [id, key] of keys) deviceOfKey[key] = id;

  /** Commits the rows, then (only then) applies them to the live view, tells the listeners and counts. */
  async function commit(rows: StoredReading[], errors: FieldError[], samples: number): Promise<IngestResult> {
    await writer.write(rows);
    // Committed: now they may go live. Writes settle in commit order, so the live view sees them in that
    // order too (the live state itself orders by timestamp: live/state.ts).
    for (const r of rows) live.apply(r.reading);
    if (rows.length > 0) {
      opts.changed?.();
      opts.committed?.(rows);
    }
    counters?.samples(samples);
    if (counters && errors.length > 0) {
      const byReason = new Map<RejectReason, number>();
      for (const e of errors) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
      for (const [reason, n] of byReason) counters.rejected(reason, n);
    }
    return { accepted: rows.length, rejected: errors };
  }

  return {
    async submit(raws) {
      const t = now();
      const ctx = { devices: model.devices, now: t, oldest_ts: t - rawRetentionMs };
      const rows: StoredReading[] = [];
      const out = { errors: [] as FieldError[], samples: 0, add: (kind: DeviceKind, key: number, reading: StoredReading['reading']) => void rows.push({ reading, kind, key }) };
      // In slices that yield to the loop between them: validating 50,000 readings in one go held the loop
      // 80-200 ms on this shared 2-core box; a slice of 2,000 is 3-8 ms, so /healthz and other pushes get
      // their turns. Small batches (collectors, most pushes) are one slice and never wait.
      for (let start = 0; start < raws.length; start += VALIDATE_SLICE) {
        if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        validateSlice(raws, start, Math.min(raws.length, start + VALIDATE_SLICE), ctx, keys, out);
      }
      return commit(rows, out.errors, out.samples);
    },
    submitValidated(v) {
      const rows: StoredReading[] = [];
      readValidated(v.rows, deviceOfKey, (kind, key, reading) => void rows.push({ reading, kind, key }));
      return commit(rows, v.errors, v.samples);
    },
  };
}
