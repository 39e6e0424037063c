// The `retention:` section of the config: how long each tier of the store is kept (server/store/retention.ts prunes by it).

import { at, err, field, keySet, readPositive, section, type Ctx } from '../core/schema.js';
import type { RetentionSettings } from '../core/types.js';

export const RETENTION_DEFAULTS: Readonly<Required<Omit<RetentionSettings, 'compact_window_min' | 'compact_grace_min'>>> = { raw_hours: 48, minute_days: 90, hour_days: 1825, device_minute_days: 7 };

const RETENTION_KEYS = keySet('raw_hours', 'minute_days', 'hour_days', 'device_minute_days', 'compact_window_min', 'compact_grace_min');
/** Windows compaction can take: each divides the 4 h bound on a chunk (store/chunks.ts MAX_WINDOW_MS) evenly. */
const COMPACT_WINDOWS_MIN = [5, 10, 15, 20, 30, 60, 120, 240];

export function readRetention(c: Ctx, v: unknown): RetentionSettings {
  const out: RetentionSettings & typeof RETENTION_DEFAULTS = { ...RETENTION_DEFAULTS };
  return section(c, v, 'retention', RETENTION_KEYS, () => out, (o) => {
    for (const k of ['raw_hours', 'minute_days', 'hour_days', 'device_minute_days'] as const) {
      const n = field(c, o, k, 'retention', readPositive, false, '');
      if (n !== undefined) out[k] = n;
    }
    // Only when set: absent keeps the model's retention as it was (compaction reads its defaults).
    const w = field(c, o, 'compact_window_min', 'retention', readPositive, false, '');
    if (w !== undefined) {
      if (COMPACT_WINDOWS_MIN.includes(w)) out.compact_window_min = w;
      else err(c, at('retention', 'compact_window_min'), `must be one of ${COMPACT_WINDOWS_MIN.join(', ')}`);
    }
    const g = field(c, o, 'compact_grace_min', 'retention', readPositive, false, '');
    if (g !== undefined) out.compact_grace_min = g;
    // A late or corrected reading is accepted for raw_hours and folded into its device minute row; the
    // hour's extremes are then recomputed from minute rows, so those must still be there.
    if (out.device_minute_days * 24 < out.raw_hours) {
      err(c, at('retention', 'device_minute_days'), `must keep at least raw_hours (${out.raw_hours} h = ${out.raw_hours / 24} days)`);
    }
    return out;
  });
}
