// What an SNMP profile is: the subtrees it walks and how the varbinds found there become readings of the
// vocabulary. Pure: a profile never does I/O, so each is tested on the values of a real recording. One file
// per MIB family beside this one, listed in ./index.ts.

import type { DeviceKind, MetricName, SnmpAccess } from '../../core/types.js';

/** One varbind's value: integers and gauges as numbers, Counter64 as bigint, octet strings as text. */
export type SnmpValue = number | bigint | string;

/** A walk's varbinds by numeric OID without the leading dot ("1.3.6.1.2.1.1.3.0"). */
export type Walk = ReadonlyMap<string, SnmpValue>;

export type Metrics = Partial<Record<MetricName, number | null>>;

/** Maps one poll's walk to the device's metrics; `now` (epoch ms) is for the profiles that compute rates. */
export type Mapper = (walk: Walk, now: number) => Metrics;

export interface SnmpProfile {
  /** the device kinds it yields readings for */
  kinds: readonly DeviceKind[];
  /** the subtrees (table columns or scalars' parents) one poll walks with GetBulk */
  walk: readonly string[];
  /**
   * A device's mapper. Made once per device, so a profile that computes rates from counters (if-mib) keeps
   * the previous sample in its closure; the others are stateless.
   */
  mapper(access: SnmpAccess): Mapper;
}

/** The rows of one table column: index suffix ("1", "1.1.5") → value, in walk (index) order. */
export function column(walk: Walk, oid: string): Map<string, SnmpValue> {
  const prefix = `${oid}.`;
  const out = new Map<string, SnmpValue>();
  for (const [k, v] of walk) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

/** A value as a finite number, else null (a string where a number was declared is a device fault). */
export function num(v: SnmpValue | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

/**
 * The sum of a column's numbers, scaled; null when the column is absent or any row is not a valid reading
 * (`valid` says which are: a MIB's "-1 if unavailable", a negative where the MIB declares none).
 */
export function sumColumn(walk: Walk, oid: string, scale: number, valid: (n: number) => boolean = (n) => n >= 0): number | null {
  const rows = column(walk, oid);
  if (rows.size === 0) return null;
  let sum = 0;
  for (const v of rows.values()) {
    const n = num(v);
    if (n === null || !valid(n)) return null;
    sum += n * scale;
  }
  return sum;
}

/** Rounds away binary noise from a scale factor (114 × 10 = 1140, not 1140.0000000000002). */
export function clean(n: number | null): number | null {
  return n === null ? null : Math.round(n * 1e6) / 1e6;
}
