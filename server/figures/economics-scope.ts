// The economics and power budget of each hall and the site (issue 16), from the tick's rack and aggregate
// figures, the scope's prices (prices.ts) and the config's economics and caps. Where a rack holds both miners
// and GPUs its power is split by its devices' nominal power, the only split the figures have for a rack
// metered as one.

import type { EconomicsSettings, HallFigures, LiveInput, RackFigures, SiteFigures, AiRevenueRule, AggregateFigures, SiteModel } from '../core/types.js';
import { effectiveFigures } from '../core/catalogue.js';
import { ECONOMICS_NONE } from './economics-config.js';
import { facilityEstimate, gpuHourRevenueUsdPerH, leaseRevenueUsdPerH, scopeEconomics, type ScopeLoad } from './economics.js';
import { dayTotals, type DayLedger } from './economics-day.js';
import { powerBudget } from './power-budget.js';
import { currentPrices, type PriceScope } from './prices.js';
import type { SiteIndex } from './site-index.js';

interface RackShare {
  /** share of the rack's power that is mining (0–1); null = the rack has neither miners nor GPUs */
  mining: number | null;
}

const shareCache = new WeakMap<SiteModel, Map<string, RackShare>>();

/** Each rack's mining share: 1 for miners only, 0 for GPUs only, by nominal power where it holds both. */
function rackShares(model: SiteModel, idx: SiteIndex): Map<string, RackShare> {
  let m = shareCache.get(model);
  if (m !== undefined) return m;
  m = new Map();
  for (const ri of idx.racks.values()) {
    let asicW = 0;
    let gpuW = 0;
    let asics = 0;
    let gpus = 0;
    for (const ref of ri.devices) {
      if (ref.kind !== 'asic' && ref.kind !== 'gpu') continue;
      const w = effectiveFigures(model.catalogue, ref.model).nominal_power_w ?? 0;
      if (ref.kind === 'asic') {
        asics++;
        asicW += w;
      } else {
        gpus++;
        gpuW += w;
      }
    }
    let mining: number | null = null;
    if (asics > 0 && gpus === 0) mining = 1;
    else if (gpus > 0 && asics === 0) mining = 0;
    else if (asics > 0 && gpus > 0) mining = asicW + gpuW > 0 ? asicW / (asicW + gpuW) : asics / (asics + gpus);
    m.set(ri.rack.id, { mining });
  }
  shareCache.set(model, m);
  return m;
}

/**
 * The AI revenue rate of a set of racks: each rack's GPUs billed by its own rule, else its hall's; each
 * lease once. null when no rule covers any of them.
 */
function aiRevenue(racks: readonly RackFigures[], rules: readonly AiRevenueRule[], halls: ReadonlySet<string>): number | null {
  const byRack = new Map<string, AiRevenueRule>();
  const byHall = new Map<string, AiRevenueRule>();
  for (const r of rules) {
    if ('rack' in r.scope) byRack.set(r.scope.rack, r);
    else byHall.set(r.scope.hall, r);
  }
  let sum = 0;
  let any = false;
  const leased = new Set<AiRevenueRule>();
  for (const rf of racks) {
    const rule = byRack.get(rf.id) ?? byHall.get(rf.hall);
    if (rule === undefined) continue;
    any = true;
    const b = rule.billing;
    if (b.kind === 'gpu_hour') sum += gpuHourRevenueUsdPerH(b.on === 'busy' ? rf.gpus_busy : rf.gpus_busy + rf.gpus_idle, b.usd_per_gpu_hour);
    else if (!leased.has(rule)) {
      leased.add(rule);
      sum += leaseRevenueUsdPerH(b.usd_per_kw_month, b.contracted_kw);
    }
  }
  // A hall's lease with no rack in it yet still pays.
  for (const [hall, rule] of byHall) {
    if (halls.has(hall) && rule.billing.kind === 'lease' && !leased.has(rule)) {
      any = true;
      sum += leaseRevenueUsdPerH(rule.billing.usd_per_kw_month, rule.billing.contracted_kw);
    }
  }
  return any ? sum : null;
}

function scopeOf(
  input: LiveInput, settings: EconomicsSettings, scope: PriceScope, scopeName: string, agg: AggregateFigures, racks: readonly RackFigures[],
  shares: Map<string, RackShare>, halls: ReadonlySet<string>, cap_w: number | null, day: DayLedger | undefined,
): Pick<HallFigures, 'economics' | 'power_budget'> {
  let miningW = 0;
  let aiW = 0;
  let miningKnown = false;
  let aiKnown = false;
  for (const rf of racks) {
    const share = shares.get(rf.id)?.mining ?? null;
    if (share === null || rf.power_w === null) continue;
    if (share > 0) {
      miningW += rf.power_w * share;
      miningKnown = true;
    }
    if (share < 1) {
      aiW += rf.power_w * (1 - share);
      aiKnown = true;
    }
  }
  const facility = facilityEstimate(agg.facility_power_w, agg.it_power_w, agg.it_power_complete, settings.assumed_pue);
  const load: ScopeLoad = {
    hashrate_ths: agg.hashrate_ths,
    has_miners: agg.miners_total > 0,
    has_gpus: agg.gpus_total > 0,
    mining_it_w: miningKnown ? miningW : null,
    ai_it_w: aiKnown ? aiW : null,
    ai_revenue_usd_per_h: aiRevenue(racks, settings.ai, halls),
    facility,
  };
  const hashing = agg.j_per_th !== null && agg.hashrate_ths !== null ? agg.j_per_th * agg.hashrate_ths : null;
  return {
    economics: scopeEconomics(load, currentPrices(input, scope), settings.pool_fee_ratio, dayTotals(day, scopeName, input.now, settings.timezone)),
    power_budget: powerBudget({ it_w: agg.it_power_w, mining_it_w: load.mining_it_w, ai_it_w: load.ai_it_w, hashing_miner_w: hashing, facility }, cap_w),
  };
}

/** Sets `economics` and `power_budget` on every hall and the site of a tick's figures (built, not yet sent). */
export function attachEconomics(
  input: LiveInput, idx: SiteIndex, site: SiteFigures, halls: HallFigures[], racks: readonly RackFigures[], day?: DayLedger,
): void {
  const model = input.model;
  const settings = model.economics ?? ECONOMICS_NONE;
  const shares = rackShares(model, idx);
  const byHall = new Map<string, RackFigures[]>();
  for (const rf of racks) {
    let list = byHall.get(rf.hall);
    if (list === undefined) byHall.set(rf.hall, (list = []));
    list.push(rf);
  }
  for (const h of halls) {
    Object.assign(h, scopeOf(input, settings, { hall: h.id }, `hall:${h.id}`, h, byHall.get(h.id) ?? [], shares, new Set([h.id]), model.power?.halls[h.id] ?? null, day));
  }
  const all = new Set(halls.map((h) => h.id));
  Object.assign(site, scopeOf(input, settings, 'site', 'site', site, racks, shares, all, model.power?.site_w ?? null, day));
}
