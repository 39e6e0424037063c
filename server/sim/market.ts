// The demo's market (issue 16): an energy price that follows a day of a real-time market, low overnight,
// a shoulder through the day and a spike in the evening peak (17:30–21:00 local, as ERCOT's summer
// evenings when solar falls off and load stays high), and the inputs of the hashprice: the BTC price
// wandering a little around $100,000, a difficulty of 150 T and fees near 0.03 BTC a block. Readings for
// the one path in, like every other simulated device.

import { localTime } from '../figures/prices.js';

/** The price ($/MWh) at a local minute of the day, before noise: the shape of the demo's day. */
export function demoEnergyPriceUsdPerMwh(minute_of_day: number): number {
  const h = minute_of_day / 60;
  // overnight trough 26 at 04:00, a daytime shoulder near 45
  let price = 36 - 10 * Math.cos((2 * Math.PI * (h - 4)) / 24);
  // the evening spike: up to +280 at 19:15, over about 3.5 h
  const spike = Math.exp(-(((h - 19.25) / 0.9) ** 2));
  price += 280 * spike;
  return price;
}

export interface MarketSim {
  readingsAt(ts: number, jitter: (amp: number) => number): { device: string; ts: number; metrics: Record<string, number> }[];
}

export function createMarketSim(ids: readonly string[], timezone: string): MarketSim {
  let btc = 100_000;
  return {
    readingsAt(ts, jitter) {
      if (ids.length === 0) return [];
      const l = localTime(ts, timezone);
      const price = demoEnergyPriceUsdPerMwh(l.minute_of_day + l.second / 60) + jitter(2);
      btc = Math.min(110_000, Math.max(90_000, btc + jitter(25)));
      return ids.map((device) => ({
        device, ts,
        metrics: {
          energy_price_usd_per_mwh: Math.round(price * 100) / 100,
          btc_usd: Math.round(btc),
          network_difficulty: 150e12,
          fees_btc_per_block: Math.round((0.03 + jitter(0.005)) * 1e4) / 1e4,
        },
      }));
    },
  };
}
