// The economics and power-budget families of /metrics (issue 16), written as text from the tick's figures
// like the other site and rack families: a null figure is no series, never 0. Dollars are not a base unit
// Prometheus knows; the names carry the currency and the period (usd_per_hour, usd_per_mwh) as the issue's
// contract names them. Power is in watts.

import type { Hub } from '../live/hub.js';

export interface EconomicsFamily {
  name: string;
  help: string;
  lines(out: string[]): void;
}

function push(out: string[], name: string, labels: string, v: number | null | undefined): void {
  if (v !== null && v !== undefined && Number.isFinite(v)) out.push(labels === '' ? `${name} ${v}` : `${name}{${labels}} ${v}`);
}

export function economicsFamilies(hub: Hub, labelValue: (s: string) => string): EconomicsFamily[] {
  const halls = (name: string, help: string, value: (h: ReturnType<Hub['figures']>['halls'][number]) => number | null | undefined): EconomicsFamily => ({
    name, help, lines: (out) => {
      for (const h of hub.figures().halls) push(out, name, `hall="${labelValue(h.id)}"`, value(h));
    },
  });
  const site = (name: string, help: string, value: (s: ReturnType<Hub['figures']>['site']) => number | null | undefined): EconomicsFamily => ({
    name, help, lines: (out) => push(out, name, '', value(hub.figures().site)),
  });
  return [
    {
      name: 'floorwatch_hall_revenue_usd_per_hour',
      help: 'Revenue rate of a hall by load: mining = hashrate × hashprice ÷ 24 × (1 − pool fee); ai = GPU-hours billed or lease ÷ 730 h',
      lines(out) {
        for (const h of hub.figures().halls) {
          const l = labelValue(h.id);
          push(out, 'floorwatch_hall_revenue_usd_per_hour', `hall="${l}",load="mining"`, h.economics?.mining_revenue_usd_per_h);
          push(out, 'floorwatch_hall_revenue_usd_per_hour', `hall="${l}",load="ai"`, h.economics?.ai_revenue_usd_per_h);
        }
      },
    },
    halls('floorwatch_hall_energy_cost_usd_per_hour', 'Energy cost rate of a hall: facility power (meter, or IT × assumed PUE) in MW × energy price', (h) => h.economics?.energy_cost_usd_per_h),
    halls('floorwatch_hall_margin_usd_per_hour', 'Revenue less energy cost of a hall', (h) => h.economics?.margin_usd_per_h),
    halls('floorwatch_hall_power_cap_watts', 'Power cap of a hall (config power.halls)', (h) => h.power_budget?.cap_w),
    site('floorwatch_site_energy_price_usd_per_mwh', 'Energy price now: the market reading (see the age), else the configured fallback', (s) => s.economics?.energy_price_usd_per_mwh),
    site('floorwatch_site_energy_price_age_seconds', 'Age of the market energy price (absent for a configured fallback)', (s) => s.economics?.energy_age_s),
    site('floorwatch_site_power_cap_watts', 'Power cap of the site: its interconnect or supply contract (config power.site_cap_kw)', (s) => s.power_budget?.cap_w),
    site('floorwatch_site_power_headroom_watts', 'Site power cap less its facility power (negative = over the cap)', (s) => s.power_budget?.headroom_w),
    site('floorwatch_site_curtailable_watts', 'Facility power shed if every hashing miner stopped now (their power × facility ÷ IT)', (s) => s.power_budget?.curtailable_now_w),
  ];
}
