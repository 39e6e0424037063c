import type { DeviceKind, SiteModel } from '../core/types.js';
import { validateReadings, type FieldError, type RejectReason } from '../core/validate.js';
import type { LiveState } from '../live/state.js';
import type { StoredReading, Writer } from '../store/writer.js';

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
}

export function createIngestPipeline(opts: {
  model: SiteModel;
  keys: ReadonlyMap<string, number>;
  writer: Writer;
  live: LiveState;
  counters?: IngestCounters;
  now?: () => number;
}): IngestPipeline {
  const { model, keys, writer, counters } = opts;
  const now = opts.now ?? Date.now;
  const rawRetentionMs = model.retention.raw_hours * 3_600_000;

  return {
    async submit(raws) {
      const t = now();
      const batch = validateReadings(raws, { devices: model.devices, now: t, oldest_ts: t - rawRetentionMs });
      const rows: StoredReading[] = [];
      let samples = 0;
      for (const { reading, model: device } of batch.readings) {
        const key = keys.get(device.id);
        if (key === undefined) continue; // registered at startup with the model: cannot happen
        rows.push({ reading, kind: device.kind as DeviceKind, key });
        // Counted without Object.keys(): no array per reading on the hot path.
        for (const _ in reading.metrics) samples++;
      }
      await writer.write(rows);
      counters?.samples(samples);
      if (counters && batch.errors.length > 0) {
        const byReason = new Map<RejectReason, number>();
        for (const e of batch.errors) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
        for (const [reason, n] of byReason) counters.rejected(reason, n);
      }
      return { accepted: rows.length, rejected: batch.errors };
    },
  };
}
