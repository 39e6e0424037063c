// A scope's current prices (issue 16): the energy price and the hashprice, from the scope's markets (devices
// of kind `market`, fed by push like every reading), else the configured fallback energy price (a time-of-use
// window in the site's zone, else the flat price). A market price that went stale is still the price shown,
// marked stale: a fallback never silently takes its place. Pure: the clock is input.now.
//
// currentPrices() is the seam other figures take prices from (the curtailment figures price the energy a
// curtailment avoided and the mining revenue it cost with it).

import type { DeviceLive, DeviceModel, EconomicsSettings, LiveInput, PriceSource, ScopePrices, SiteModel, TouWindow } from '../core/types.js';
import { runningAgeMs } from './health.js';

/**
 * The block subsidy (BTC) since block 840,000 (the fourth halving, 20 April 2024): 50 BTC halved every
 * 210,000 blocks (Bitcoin Core src/validation.cpp GetBlockSubsidy). Next halves near block 1,050,000 (2028).
 */
export const BLOCK_SUBSIDY_BTC = 3.125;
const TWO_POW_32 = 2 ** 32;
const SECONDS_PER_DAY = 86_400;

/**
 * Hashprice in BTC per TH/s per day: the expected hashes to find a block are D × 2³² (Bitcoin wiki,
 * "Difficulty": a share of difficulty 1 takes 2³² hashes on average), so 1 TH/s finds
 * 86400 × 10¹² ÷ (D × 2³²) blocks a day, each paying the subsidy plus the fees. The fees are the mean per
 * block over a recent window as the market reports it (a hashprice index uses the last 144 blocks).
 */
export function hashpriceBtcPerThDay(difficulty: number, fees_btc_per_block: number, subsidy_btc = BLOCK_SUBSIDY_BTC): number | null {
  if (!(difficulty > 0) || !Number.isFinite(fees_btc_per_block) || fees_btc_per_block < 0) return null;
  return ((SECONDS_PER_DAY * 1e12) / (difficulty * TWO_POW_32)) * (subsidy_btc + fees_btc_per_block);
}

/** Hashprice in USD per TH/s per day: the BTC hashprice × the BTC price. Difficulty 150 T, 0.03 BTC fees, $100,000: $0.0423. */
export function hashpriceUsdPerThDay(btc_usd: number, difficulty: number, fees_btc_per_block: number): number | null {
  const btc = hashpriceBtcPerThDay(difficulty, fees_btc_per_block);
  return btc === null || !(btc_usd >= 0) ? null : btc * btc_usd;
}

// ---------------------------------------------------------------------------------------------------
// Local time in the site's zone, by Intl (no time zone library).

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday */
  weekday: number;
  /** minutes after local midnight */
  minute_of_day: number;
  second: number;
}

export function localTime(ts: number, tz: string): LocalTime {
  const parts = formatter(tz).formatToParts(new Date(ts));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '0';
  return {
    year: Number(get('year')), month: Number(get('month')), day: Number(get('day')),
    weekday: WEEKDAYS.indexOf(get('weekday')),
    minute_of_day: Number(get('hour')) * 60 + Number(get('minute')),
    second: Number(get('second')),
  };
}

/** The zone's offset from UTC at `ts` (ms; local = UTC + offset), to the second. */
function offsetMs(ts: number, tz: string): number {
  const l = localTime(ts, tz);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, Math.floor(l.minute_of_day / 60), l.minute_of_day % 60, l.second);
  return asUtc - (ts - (((ts % 1000) + 1000) % 1000));
}

/**
 * Epoch ms of the local midnight that began the day `ts` is in. Found from the offset at a guess and
 * corrected once (a DST change between midnight and `ts` moves the offset); a zone whose clocks skip
 * midnight itself starts its day at the first instant that exists.
 */
export function localDayStart(ts: number, tz: string): number {
  const l = localTime(ts, tz);
  const midnightAsUtc = Date.UTC(l.year, l.month - 1, l.day);
  let guess = midnightAsUtc - offsetMs(ts, tz);
  guess = midnightAsUtc - offsetMs(guess, tz);
  return guess > ts ? guess - 86_400_000 : guess;
}

/** The next local midnight after `ts` (a local day is 23 to 25 h around DST changes). */
export function nextLocalDayStart(ts: number, tz: string): number {
  const start = localDayStart(ts, tz);
  // 26 h on is always in the next day (the longest day is 25 h); its start is the next midnight.
  return localDayStart(start + 26 * 3_600_000, tz);
}

/** Whether a time-of-use window holds at a local weekday and minute; one crossing midnight belongs to the day it starts. */
export function touWindowHolds(w: TouWindow, weekday: number, minute: number): boolean {
  if (w.from_min < w.to_min) return w.days.includes(weekday) && minute >= w.from_min && minute < w.to_min;
  return (w.days.includes(weekday) && minute >= w.from_min) || (w.days.includes((weekday + 6) % 7) && minute < w.to_min);
}

/** The configured fallback price at `ts`: the first time-of-use window that holds, else the flat price; null = none. */
export function fallbackEnergyPrice(settings: EconomicsSettings, ts: number): { usd_per_mwh: number; source: PriceSource } | null {
  if (settings.time_of_use.length > 0) {
    const l = localTime(ts, settings.timezone);
    const w = settings.time_of_use.find((x) => touWindowHolds(x, l.weekday, l.minute_of_day));
    if (w !== undefined) return { usd_per_mwh: w.usd_per_mwh, source: 'time_of_use' };
  }
  return settings.flat_usd_per_mwh === null ? null : { usd_per_mwh: settings.flat_usd_per_mwh, source: 'flat' };
}

// ---------------------------------------------------------------------------------------------------

/** The scope a price is asked for: the site, or a hall (its own markets, else the site's). */
export type PriceScope = 'site' | { hall: string };

interface MarketIndex {
  site: DeviceModel[];
  halls: Map<string, DeviceModel[]>;
}
const marketCache = new WeakMap<SiteModel, MarketIndex>();
function marketsOf(model: SiteModel): MarketIndex {
  let m = marketCache.get(model);
  if (m === undefined) {
    m = { site: [], halls: new Map() };
    for (const d of model.devices.values()) {
      if (d.kind !== 'market') continue;
      if (d.hall === undefined) m.site.push(d);
      else m.halls.set(d.hall, [...(m.halls.get(d.hall) ?? []), d]);
    }
    marketCache.set(model, m);
  }
  return m;
}

interface Quote {
  value: number;
  market: string;
  age_s: number;
  stale: boolean;
}

/** The newest value `read` finds among these markets' live readings; null when none has one. */
function newest(input: LiveInput, markets: readonly DeviceModel[], read: (live: DeviceLive) => number | null): Quote | null {
  let best: { value: number; market: DeviceModel; ts: number } | null = null;
  for (const d of markets) {
    const live = input.devices.get(d.id);
    if (live === undefined || live.ts === null) continue;
    const v = read(live);
    if (v === null || !Number.isFinite(v)) continue;
    if (best === null || live.ts > best.ts) best = { value: v, market: d, ts: live.ts };
  }
  if (best === null) return null;
  const age_ms = Math.max(0, runningAgeMs(input.now, best.ts, input.offline));
  const stale_ms = best.market.stale_after_s === undefined ? input.stale_after_ms : best.market.stale_after_s * 1000;
  return { value: best.value, market: best.market.id, age_s: age_ms / 1000, stale: age_ms > stale_ms };
}

const num = (live: DeviceLive, k: keyof DeviceLive['metrics']): number | null => {
  const v = live.metrics[k];
  return v === undefined || v === null ? null : v;
};
const energyOf = (live: DeviceLive): number | null => num(live, 'energy_price_usd_per_mwh');
const hashpriceOf = (live: DeviceLive): number | null => {
  const ph = num(live, 'hashprice_usd_per_ph_day');
  return ph === null ? null : ph / 1000;
};
const computedHashpriceOf = (live: DeviceLive): number | null => {
  const btc = num(live, 'btc_usd');
  const d = num(live, 'network_difficulty');
  const fees = num(live, 'fees_btc_per_block');
  return btc === null || d === null || fees === null ? null : hashpriceUsdPerThDay(btc, d, fees);
};

/**
 * The scope's current energy price and hashprice. Each price comes from the scope's markets that have
 * reported it (a hall's own, else the site's), the newest reading winning; a hashprice the market states
 * wins over one computed from its BTC price, difficulty and fees. With no market value, the energy price
 * is the configured fallback (time of use, else flat) and the hashprice is null.
 */
export function currentPrices(input: LiveInput, scope: PriceScope): ScopePrices {
  const idx = marketsOf(input.model);
  const own = scope === 'site' ? idx.site : (idx.halls.get(scope.hall) ?? []);
  const pick = (read: (live: DeviceLive) => number | null): Quote | null =>
    newest(input, own, read) ?? (scope === 'site' ? null : newest(input, idx.site, read));

  const energy = pick(energyOf);
  const out: ScopePrices = {
    energy_price_usd_per_mwh: null, energy_source: null, energy_market: null, energy_age_s: null, energy_stale: false,
    hashprice_usd_per_th_day: null, hashprice_source: null, hashprice_market: null, hashprice_age_s: null, hashprice_stale: false,
  };
  if (energy !== null) {
    Object.assign(out, { energy_price_usd_per_mwh: energy.value, energy_source: 'market', energy_market: energy.market, energy_age_s: energy.age_s, energy_stale: energy.stale });
  } else if (input.model.economics !== undefined) {
    const fb = fallbackEnergyPrice(input.model.economics, input.now);
    if (fb !== null) Object.assign(out, { energy_price_usd_per_mwh: fb.usd_per_mwh, energy_source: fb.source });
  }
  const stated = pick(hashpriceOf);
  const computed = stated === null ? pick(computedHashpriceOf) : null;
  const hp = stated ?? computed;
  if (hp !== null) {
    Object.assign(out, {
      hashprice_usd_per_th_day: hp.value, hashprice_source: stated !== null ? 'market' : 'computed', hashprice_market: hp.market,
      hashprice_age_s: hp.age_s, hashprice_stale: hp.stale,
    });
  }
  return out;
}
