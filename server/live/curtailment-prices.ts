// Where a curtailment event's money figures take their prices (issue 16): the energy price and hashprice the
// economics figures value the event's scope at now (server/figures/prices.ts currentPrices, carried on each
// tick's hall and site figures as `economics`). A rack is valued at its hall's prices. With no economics
// figures (no market reported and no fallback configured) both are null, so the event's mining revenue cost
// and avoided energy value are null, never 0.

import type { Figures } from '../core/types.js';

export interface CurrentPrices {
  energy_usd_per_mwh: number | null;
  hashprice_usd_per_th_day: number | null;
}

const NONE: CurrentPrices = Object.freeze({ energy_usd_per_mwh: null, hashprice_usd_per_th_day: null });

/** The prices of a curtailment scope ('site', 'hall:ID', 'rack:ID') in a tick's figures. */
export function scopePrices(f: Figures | null, scope: string): CurrentPrices {
  if (f === null) return NONE;
  let e = f.site.economics;
  if (scope !== 'site') {
    const i = scope.indexOf(':');
    const kind = scope.slice(0, i);
    const id = scope.slice(i + 1);
    const hall = kind === 'hall' ? id : kind === 'rack' ? f.racks.find((r) => r.id === id)?.hall : undefined;
    e = hall === undefined ? undefined : f.halls.find((h) => h.id === hall)?.economics;
  }
  if (e === undefined) return NONE;
  return { energy_usd_per_mwh: e.energy_price_usd_per_mwh, hashprice_usd_per_th_day: e.hashprice_usd_per_th_day };
}
