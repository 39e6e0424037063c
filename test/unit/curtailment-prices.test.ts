// The seam between curtailment events and the economics figures (issue 16): an event is valued at the
// prices its scope's economics figures carry on the last tick.
import { describe, expect, it } from 'vitest';
import type { EconomicsFigures, Figures } from '../../server/core/types.js';
import { scopePrices } from '../../server/live/curtailment-prices.js';
import { hall, rack, site } from './alerts-fixture.js';

// Only the two prices matter here; the rest of a scope's economics is the economics tests' business.
const econ = (energy: number | null, hashprice: number | null): EconomicsFigures =>
  ({ energy_price_usd_per_mwh: energy, hashprice_usd_per_th_day: hashprice }) as EconomicsFigures;

const figures: Figures = {
  site: { ...site(), economics: econ(40, 0.05) },
  halls: [{ ...hall({ id: 'M' }), economics: econ(120, 0.05) }, hall({ id: 'G' })],
  racks: [rack({ id: 'M-01', hall: 'M' }), rack({ id: 'G-01', hall: 'G' })],
  loops: [],
};

describe('curtailment prices', () => {
  it('values the site at the site price, a hall at its own, a rack at its hall\'s', () => {
    expect(scopePrices(figures, 'site')).toEqual({ energy_usd_per_mwh: 40, hashprice_usd_per_th_day: 0.05 });
    expect(scopePrices(figures, 'hall:M')).toEqual({ energy_usd_per_mwh: 120, hashprice_usd_per_th_day: 0.05 });
    expect(scopePrices(figures, 'rack:M-01')).toEqual({ energy_usd_per_mwh: 120, hashprice_usd_per_th_day: 0.05 });
  });

  it('is null, never 0, where the scope has no economics figures or before the first tick', () => {
    const none = { energy_usd_per_mwh: null, hashprice_usd_per_th_day: null };
    expect(scopePrices(figures, 'hall:G')).toEqual(none);
    expect(scopePrices(figures, 'rack:G-01')).toEqual(none);
    expect(scopePrices(figures, 'rack:nope')).toEqual(none);
    expect(scopePrices(null, 'site')).toEqual(none);
  });
});
