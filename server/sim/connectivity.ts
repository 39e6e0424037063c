// The demo's WAN links and UPSes (issue 19), fed through the same path as every simulated reading. Both
// links carry a daily pattern of pool and customer traffic; the second drops for three minutes at the
// half hour, every hour, so the demo shows UplinkDown firing and clearing. The UPS sits on mains with its
// load following the site, and rides a 20 s utility sag at a quarter past each hour (under the 30 s
// UpsOnBattery waits, as a real sag is): its charge dips and recovers.

import type { SiteModel } from '../core/types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** the second link is down from :30:00 to :33:00 */
const LINK_OUTAGE = { from: 30 * 60_000, to: 33 * 60_000 };
/** the UPS is on battery from :15:00 to :15:20 */
const SAG = { from: 15 * 60_000, to: 15 * 60_000 + 20_000 };

export interface ConnectivityReading {
  device: string;
  ts: number;
  metrics: Record<string, number | null>;
}

const r1 = (v: number): number => Math.round(v * 10) / 10;

export function connectivityReadings(model: SiteModel, ts: number, jitter: (amp: number) => number): ConnectivityReading[] {
  const out: ConnectivityReading[] = [];
  const inHour = ts % HOUR_MS;
  // Busiest in the evening (UTC), as customer inference traffic is; pool traffic is a steady floor.
  const daily = 0.55 + 0.3 * Math.sin((2 * Math.PI * (ts % DAY_MS)) / DAY_MS - Math.PI / 2);
  (model.links ?? []).forEach((l, i) => {
    const down = i === 1 && inHour >= LINK_OUTAGE.from && inHour < LINK_OUTAGE.to;
    const share = i === 0 ? 0.6 : 0.35;
    const rx = down ? 0 : l.capacity_bps * share * daily * (1 + jitter(0.08));
    out.push({
      device: l.id, ts,
      metrics: {
        oper_up: down ? 0 : 1, rx_bps: Math.round(rx), tx_bps: Math.round(rx * 0.4 * (1 + jitter(0.1))),
        errors_per_s: down ? 0 : r1(Math.max(0, jitter(0.3))),
      },
    });
  });
  for (const d of model.devices.values()) {
    if (d.kind !== 'ups') continue;
    const sag = inHour >= SAG.from && inHour < SAG.to;
    const sinceSag = inHour - SAG.from;
    // 20 s on battery at 35 % load takes ~2 % of charge; it comes back over about 10 minutes.
    const charge = sinceSag < 0 ? 100 : sag ? 100 - 2 * (sinceSag / 20_000) : Math.min(100, 98 + 2 * ((sinceSag - 20_000) / 600_000));
    const load = 35 + 5 * daily + jitter(1);
    const outW = 20_000 * (load / 100);
    out.push({
      device: d.id, ts,
      metrics: {
        on_battery: sag ? 1 : 0, battery_charge_pct: r1(charge), load_pct: r1(load),
        // runtime scales with charge; 27 min at full charge and this load
        battery_runtime_s: Math.round(1620 * (charge / 100) * (35 / load)),
        output_power_w: Math.round(outW), input_power_w: sag ? 0 : Math.round(outW / 0.95),
      },
    });
  }
  return out;
}
