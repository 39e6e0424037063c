// IF-MIB (RFC 2863) → the network_link kind, for the one interface a link names (its ifIndex, or the ifName
// or ifDescr to find it by):
//   ifDescr        1.3.6.1.2.1.2.2.1.2       ifName 1.3.6.1.2.1.31.1.1.1.1 (to find the interface by name)
//   ifOperStatus   1.3.6.1.2.1.2.2.1.8       up(1) → oper_up 1; down(2), testing(3), unknown(4), dormant(5),
//                                            notPresent(6), lowerLayerDown(7) → 0
//   ifInErrors     1.3.6.1.2.1.2.2.1.14      Counter32 ┐ errors_per_s: (Δin + Δout) / Δt
//   ifOutErrors    1.3.6.1.2.1.2.2.1.20      Counter32 ┘
//   ifHCInOctets   1.3.6.1.2.1.31.1.1.1.6    Counter64 → rx_bps = 8 × Δoctets / Δt
//   ifHCOutOctets  1.3.6.1.2.1.31.1.1.1.10   Counter64 → tx_bps
//   ifCounterDiscontinuityTime 1.3.6.1.2.1.31.1.1.1.19: when it changes, the counters restarted (RFC 2863 §3.1.5)
// A rate needs two polls: the first is null. RFC 2863 counters only ever grow and wrap at 2^32 (Counter32) or
// 2^64 (Counter64); a Counter64 never wraps in practice (2^64 octets is 584 years at 1 Tbit/s), so a smaller
// value means the agent restarted or the interface was reset: that poll's rate is null, never negative.

import type { SnmpAccess } from '../../core/types.js';
import { column, num, type Metrics, type SnmpProfile, type SnmpValue, type Walk } from './types.js';

const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
const IF_OPER_STATUS = '1.3.6.1.2.1.2.2.1.8';
const IF_IN_ERRORS = '1.3.6.1.2.1.2.2.1.14';
const IF_OUT_ERRORS = '1.3.6.1.2.1.2.2.1.20';
const IF_NAME = '1.3.6.1.2.1.31.1.1.1.1';
const IF_HC_IN_OCTETS = '1.3.6.1.2.1.31.1.1.1.6';
const IF_HC_OUT_OCTETS = '1.3.6.1.2.1.31.1.1.1.10';
const IF_COUNTER_DISCONTINUITY = '1.3.6.1.2.1.31.1.1.1.19';
const OPER_UP = 1;

const WRAP32 = 2n ** 32n;
const WRAP64 = 2n ** 64n;

function big(v: SnmpValue | undefined): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  return null;
}

/**
 * The per-second rate of a counter between two samples dt_s apart; null when either is missing, no time
 * passed, or the counter went backwards where a wrap cannot explain it. A Counter32 that went backwards
 * wrapped once (its bits: 32); a Counter64 that did was reset (RFC 2863 §3.1.6).
 */
export function counterRate(prev: bigint | null, cur: bigint | null, dt_s: number, bits: 32 | 64): number | null {
  if (prev === null || cur === null || !(dt_s > 0)) return null;
  let delta = cur - prev;
  if (delta < 0n) {
    if (bits === 64) return null;
    delta += WRAP32;
    if (delta < 0n || delta >= WRAP32) return null;
  }
  if (bits === 64 && delta >= WRAP64) return null;
  return Number(delta) / dt_s;
}

/** The ifIndex a link names: a number as is; a name by ifName, else ifDescr. */
export function findInterface(w: Walk, wanted: number | string | undefined): string | null {
  if (wanted === undefined) return null;
  if (typeof wanted === 'number') return String(wanted);
  for (const col of [IF_NAME, IF_DESCR]) {
    for (const [idx, v] of column(w, col)) if (v === wanted) return idx;
  }
  return null;
}

function lower(cur: bigint | null, prev: bigint | null): boolean {
  return cur !== null && prev !== null && cur < prev;
}

interface Sample {
  ts: number;
  ifIndex: string;
  inOctets: bigint | null;
  outOctets: bigint | null;
  errors: [bigint | null, bigint | null];
  discontinuity: SnmpValue | undefined;
}

export const ifMib: SnmpProfile = {
  kinds: ['network_link'],
  walk: [IF_DESCR, IF_OPER_STATUS, IF_IN_ERRORS, IF_OUT_ERRORS, IF_NAME, IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_COUNTER_DISCONTINUITY],
  mapper: (access: SnmpAccess) => {
    let prev: Sample | undefined;
    return (w, now) => {
      const idx = findInterface(w, access.interface);
      // Latency and loss come from the TCP probes (a link that names one): never from SNMP.
      const m: Metrics = { rx_bps: null, tx_bps: null, oper_up: null, errors_per_s: null };
      if (idx === null) {
        prev = undefined;
        return m;
      }
      const status = num(w.get(`${IF_OPER_STATUS}.${idx}`));
      m.oper_up = status === null ? null : status === OPER_UP ? 1 : 0;
      const cur: Sample = {
        ts: now, ifIndex: idx,
        inOctets: big(w.get(`${IF_HC_IN_OCTETS}.${idx}`)),
        outOctets: big(w.get(`${IF_HC_OUT_OCTETS}.${idx}`)),
        errors: [big(w.get(`${IF_IN_ERRORS}.${idx}`)), big(w.get(`${IF_OUT_ERRORS}.${idx}`))],
        discontinuity: w.get(`${IF_COUNTER_DISCONTINUITY}.${idx}`),
      };
      // A Counter64 that went backwards was reset (agent restart, interface re-created): then a Counter32
      // that went backwards in the same poll was reset too, not wrapped, so no rate of that interval counts.
      const reset = prev !== undefined && (lower(cur.inOctets, prev.inOctets) || lower(cur.outOctets, prev.outOctets));
      if (prev !== undefined && !reset && prev.ifIndex === idx && prev.discontinuity === cur.discontinuity) {
        const dt = (now - prev.ts) / 1000;
        const rx = counterRate(prev.inOctets, cur.inOctets, dt, 64);
        const tx = counterRate(prev.outOctets, cur.outOctets, dt, 64);
        m.rx_bps = rx === null ? null : rx * 8;
        m.tx_bps = tx === null ? null : tx * 8;
        const ein = counterRate(prev.errors[0], cur.errors[0], dt, 32);
        const eout = counterRate(prev.errors[1], cur.errors[1], dt, 32);
        m.errors_per_s = ein === null || eout === null ? null : ein + eout;
      }
      prev = cur;
      return m;
    };
  },
};
