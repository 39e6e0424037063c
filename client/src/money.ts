// Money on the wall (issue 16): dollars with a sign a person reads from across the room ("−$1.1k"), per
// hour, per MWh; an unknown figure is a dash, never $0. Pure, tested in test/browser/economics.test.ts.

import type { EconomicsFigures } from '../../server/core/types.js';
import { DASH, formatDuration } from './format.js';

const NB = '\u202f';
const MINUS = '\u2212';

/** $1,234 · $12.3k · $1.23M; cents only under $100. */
export function formatUsd(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd)) return DASH;
  const sign = usd < 0 ? MINUS : '';
  const a = Math.abs(usd);
  if (a >= 1e6) return `${sign}$${(a / 1e6).toFixed(a >= 1e7 ? 1 : 2)}M`;
  if (a >= 1e4) return `${sign}$${(a / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  if (a >= 100) return `${sign}$${Math.round(a).toLocaleString('en-US')}`;
  return `${sign}$${a.toFixed(2)}`;
}

export function formatUsdPerH(usd: number | null | undefined): string {
  return usd == null || !Number.isFinite(usd) ? DASH : `${formatUsd(usd)}/h`;
}

/** $/MWh to the dollar: prices and per-MWh figures move by dollars, not cents, at wall distance. */
export function formatUsdPerMwh(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd)) return DASH;
  const sign = usd < 0 ? MINUS : '';
  return `${sign}$${Math.round(Math.abs(usd)).toLocaleString('en-US')}${NB}/MWh`;
}

/** Where the energy price came from and how old it is: "GRID · 2 min old", "STALE · GRID · 47 min old", "flat price (config)". */
export function priceSourceText(e: EconomicsFigures): string {
  if (e.energy_source === null) return 'no price: no market, no fallback';
  if (e.energy_source === 'flat') return 'flat price (config)';
  if (e.energy_source === 'time_of_use') return 'time-of-use price (config)';
  const age = `${e.energy_market ?? 'market'} · ${formatDuration((e.energy_age_s ?? 0) * 1000)} old`;
  return e.energy_stale ? `STALE · ${age}` : age;
}
