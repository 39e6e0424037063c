// The `economics:` and `power:` sections of the config (issue 16): the fallback energy prices (a flat price,
// a time-of-use tariff in the site's zone), the pool's fee, the PUE to assume where no meter measures a
// scope, the AI revenue rates per hall or rack, and the power caps of the site and its halls. Read once at
// load into typed settings; the figures (economics.ts, power-budget.ts) read nothing else.

import {
  asObject, at, checkKeys, err, field, isObj, keySet, readEnum, readId, readList, readNumber, readPositive, readString,
  section, type Ctx,
} from '../core/schema.js';
import type { AiBilling, AiRevenueRule, EconomicsSettings, PowerCaps, TouWindow } from '../core/types.js';

const ECONOMICS_KEYS = keySet('timezone', 'energy_price_usd_per_mwh', 'time_of_use', 'pool_fee_pct', 'assumed_pue', 'ai');
const TOU_KEYS = keySet('days', 'from', 'to', 'usd_per_mwh');
const AI_KEYS = keySet('hall', 'rack', 'usd_per_gpu_hour', 'billing', 'usd_per_kw_month', 'contracted_kw');
const POWER_KEYS = keySet('site_cap_kw', 'halls');
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];

export const ECONOMICS_NONE: EconomicsSettings = Object.freeze({
  timezone: 'UTC', flat_usd_per_mwh: null, time_of_use: [], pool_fee_ratio: 0, assumed_pue: null, ai: [],
}) as EconomicsSettings;

/** What the readers check names against: the halls and racks the topology built. */
export interface EconomicsTopology {
  halls: ReadonlySet<string>;
  racks: ReadonlySet<string>;
}

/** Whether Intl knows the zone (the only zone database there is, without a new dependency). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** "HH:MM" to minutes after midnight; "24:00" is the end of the day. */
function readClock(c: Ctx, v: unknown, p: string): number | undefined {
  const m = typeof v === 'string' ? /^([01]\d|2[0-4]):([0-5]\d)$/.exec(v) : null;
  const min = m === null ? NaN : Number(m[1]) * 60 + Number(m[2]);
  if (m === null || min > 24 * 60) {
    err(c, p, 'expected a local time "HH:MM" (00:00 to 24:00)');
    return undefined;
  }
  return min;
}

function readDays(c: Ctx, v: unknown, p: string): number[] | undefined {
  const list = readList(c, v, p);
  if (list === undefined) return undefined;
  const days: number[] = [];
  list.forEach((d, i) => {
    const n = typeof d === 'string' ? (DAY_NAMES as readonly string[]).indexOf(d.toLowerCase()) : -1;
    if (n < 0) err(c, `${p}[${i}]`, `expected one of ${DAY_NAMES.join(', ')}`);
    else if (!days.includes(n)) days.push(n);
  });
  return days;
}

function readTou(c: Ctx, v: unknown): TouWindow[] {
  const out: TouWindow[] = [];
  const list = readList(c, v, 'economics.time_of_use') ?? [];
  list.forEach((w, i) => {
    const p = `economics.time_of_use[${i}]`;
    const o = asObject(c, w, p);
    if (o === undefined) return;
    checkKeys(c, o, p, TOU_KEYS);
    const days = field(c, o, 'days', p, readDays, false, '') ?? ALL_DAYS;
    const from = field(c, o, 'from', p, readClock, true, 'expected a local time "HH:MM"');
    const to = field(c, o, 'to', p, readClock, true, 'expected a local time "HH:MM"');
    const price = field(c, o, 'usd_per_mwh', p, readNumber, true, 'expected a number ($/MWh)');
    if (from !== undefined && to !== undefined && from === to) err(c, at(p, 'to'), 'must differ from from (a window of no time)');
    if (from === undefined || to === undefined || price === undefined || from === to) return;
    out.push({ days, from_min: from, to_min: to, usd_per_mwh: price });
  });
  return out;
}

function readAiRule(c: Ctx, v: unknown, p: string, topo: EconomicsTopology, seen: Map<string, string>): AiRevenueRule | undefined {
  const o = asObject(c, v, p);
  if (o === undefined) return undefined;
  checkKeys(c, o, p, AI_KEYS);
  const hall = field(c, o, 'hall', p, readId, false, '');
  const rack = field(c, o, 'rack', p, readId, false, '');
  let scope: AiRevenueRule['scope'] | undefined;
  if ((hall === undefined) === (rack === undefined)) err(c, p, 'expected exactly one of hall and rack');
  else if (hall !== undefined) {
    if (topo.halls.has(hall)) scope = { hall };
    else err(c, at(p, 'hall'), `unknown hall "${hall}"`);
  } else if (rack !== undefined) {
    if (topo.racks.has(rack)) scope = { rack };
    else err(c, at(p, 'rack'), `unknown rack "${rack}"`);
  }
  const perGpu = field(c, o, 'usd_per_gpu_hour', p, readNumber, false, '');
  const perKw = field(c, o, 'usd_per_kw_month', p, readNumber, false, '');
  let billing: AiBilling | undefined;
  if ((perGpu === undefined) === (perKw === undefined)) err(c, p, 'expected exactly one of usd_per_gpu_hour and usd_per_kw_month');
  else if (perGpu !== undefined) {
    const on = field(c, o, 'billing', p, readEnum(['busy', 'allocated'] as const), true, 'expected busy or allocated (which GPUs are billed)');
    if (o['contracted_kw'] !== undefined) err(c, at(p, 'contracted_kw'), 'only with usd_per_kw_month');
    if (on !== undefined) billing = { kind: 'gpu_hour', usd_per_gpu_hour: perGpu, on };
  } else if (perKw !== undefined) {
    const kw = field(c, o, 'contracted_kw', p, readPositive, true, 'required with usd_per_kw_month (the leased capacity, kW)');
    if (o['billing'] !== undefined) err(c, at(p, 'billing'), 'only with usd_per_gpu_hour');
    if (kw !== undefined) billing = { kind: 'lease', usd_per_kw_month: perKw, contracted_kw: kw };
  }
  if (scope === undefined || billing === undefined) return undefined;
  const key = 'hall' in scope ? `hall ${scope.hall}` : `rack ${scope.rack}`;
  const first = seen.get(key);
  if (first !== undefined) {
    err(c, p, `${key} already has an AI rate, at ${first}`);
    return undefined;
  }
  seen.set(key, p);
  return { scope, billing };
}

export function readEconomics(c: Ctx, v: unknown, topo: EconomicsTopology): EconomicsSettings {
  return section(c, v, 'economics', ECONOMICS_KEYS, () => ECONOMICS_NONE, (o) => {
    const p = 'economics';
    const tz = field(c, o, 'timezone', p, readString, false, '') ?? 'UTC';
    if (!isTimeZone(tz)) err(c, at(p, 'timezone'), `unknown time zone "${tz}" (an IANA name, e.g. America/Chicago)`);
    const flat = field(c, o, 'energy_price_usd_per_mwh', p, readNumber, false, '') ?? null;
    const tou = o['time_of_use'] === undefined || o['time_of_use'] === null ? [] : readTou(c, o['time_of_use']);
    const feePct = field(c, o, 'pool_fee_pct', p, readNumber, false, '') ?? 0;
    if (feePct < 0 || feePct >= 100) err(c, at(p, 'pool_fee_pct'), 'expected a percentage from 0 to under 100');
    const pue = field(c, o, 'assumed_pue', p, readNumber, false, '') ?? null;
    if (pue !== null && !(pue >= 1)) err(c, at(p, 'assumed_pue'), 'expected a PUE of at least 1');
    const seen = new Map<string, string>();
    const ai: AiRevenueRule[] = [];
    (field(c, o, 'ai', p, readList, false, '') ?? []).forEach((r, i) => {
      const rule = readAiRule(c, r, `${p}.ai[${i}]`, topo, seen);
      if (rule !== undefined) ai.push(rule);
    });
    return { timezone: tz, flat_usd_per_mwh: flat, time_of_use: tou, pool_fee_ratio: feePct / 100, assumed_pue: pue, ai };
  });
}

export function readPowerCaps(c: Ctx, v: unknown, topo: EconomicsTopology): PowerCaps {
  return section(c, v, 'power', POWER_KEYS, () => ({ site_w: null, halls: {} }), (o) => {
    const site = field(c, o, 'site_cap_kw', 'power', readPositive, false, '');
    const halls: Record<string, number> = {};
    const h = o['halls'];
    if (h !== undefined && h !== null) {
      if (!isObj(h)) err(c, 'power.halls', 'expected an object of hall id: cap in kW');
      else {
        for (const [id, kw] of Object.entries(h)) {
          const p = `power.halls.${id}`;
          if (!topo.halls.has(id)) err(c, p, `unknown hall "${id}"`);
          const cap = readPositive(c, kw, p);
          if (cap !== undefined && topo.halls.has(id)) halls[id] = cap * 1000;
        }
      }
    }
    return { site_w: site === undefined ? null : site * 1000, halls };
  });
}
