// Validating a batch of raw readings into typed rows: the one loop the pipeline (main thread, in slices)
// and the ingest threads (parse-thread.ts, a body at a time) both run.

import type { DeviceKind, Reading } from '../core/types.js';
import { validateReading, type DeviceIdentity, type FieldError, type ValidationContext } from '../core/validate.js';

export interface BatchTarget {
  errors: FieldError[];
  /** values kept, over all rows */
  samples: number;
  add(kind: DeviceKind, key: number, reading: Reading): void;
}

/** Validates raws[from, to) into `out`: each good reading added with its device key, every error kept. */
export function validateSlice<M extends DeviceIdentity>(
  raws: readonly unknown[], from: number, to: number, ctx: ValidationContext<M>, keys: ReadonlyMap<string, number>, out: BatchTarget,
): void {
  for (let i = from; i < to; i++) {
    const r = validateReading(raws[i], i, ctx);
    for (const e of r.errors) out.errors.push(e);
    if (r.reading === null || r.model === undefined) continue;
    const key = keys.get(r.model.id);
    if (key === undefined) continue; // registered at startup with the model: cannot happen
    out.add(r.model.kind, key, r.reading);
    // Counted without Object.keys(): no array per reading on the hot path.
    for (const _ in r.reading.metrics) out.samples++;
  }
}
