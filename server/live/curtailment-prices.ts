// THE SEAM to the economics half of issue 16 (energy price and hashprice as readings, config `economics:`).
// The curtailment figures take their prices from here, and nothing else in the curtailment code knows
// where prices come from: at merge this one function is connected to the economics figures (the energy
// price and hashprice the site is valued at now). Until then both are unknown, so the money figures of an
// event (mining revenue it cost, avoided energy value) are null, never 0.

export interface CurrentPrices {
  energy_usd_per_mwh: number | null;
  hashprice_usd_per_th_day: number | null;
}

export function currentPrices(): CurrentPrices {
  return { energy_usd_per_mwh: null, hashprice_usd_per_th_day: null };
}
