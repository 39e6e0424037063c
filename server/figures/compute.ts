// Live state → figures (docs/ARCHITECTURE.md §4): one pass over the devices, grouped by rack through a precomputed
// index, folded into racks, halls and the site. Pure: no I/O, no clock (input.now is the time).
//
// The modules: site-index.ts (the index), rack.ts (one rack), aggregate.ts (racks → halls → site, PUE),
// loop.ts (cooling loops), devices.ts (device statuses), device-reading.ts (one device's values now).

import { connectivityFigures } from './connectivity.js';
import type { Figures, HallFigures, LiveInput, RackFigures, SiteFigures } from '../core/types.js';
import { energyFigures, type EnergyWindow } from './energy.js';
import { aggregate, countExtras, emptyAcc, mergeAcc, metersPowerW, type Acc, type Facility } from './aggregate.js';
import { poolFigures } from './pools.js';
import { rackFigures } from './rack.js';
import { loopFigures, type RackPowerState } from './loop.js';
import { indexFor, type SiteIndex } from './site-index.js';
import { attachEconomics } from './economics-scope.js';
import type { DayLedger } from './economics-day.js';

/**
 * Every figure of docs/ARCHITECTURE.md §4 from the live state. Down devices (stale, failing) count as down and add
 * nothing to power or hashrate sums: their last values are not current. `energy` supplies the 24 h PUE and
 * the kWh totals; without it those are null / 0. `day` supplies today's economic totals (0 without it).
 *
 * A ratio of a meter to a sum of racks (PUE, a hall's partial PUE, a loop's heat ÷ IT) is null, with its
 * `*_unknown_reason`, unless both halves are current and complete: dropping the down racks from one side
 * only is what made a half-site PUE of 13.08. J/TH and W per GPU need no such rule: each device's power and
 * hashrate come from the same reading, so a down device leaves both sums together.
 */
export function computeFigures(input: LiveInput, energy?: EnergyWindow, index?: SiteIndex, day?: DayLedger): Figures {
  return computePass(input, energy, index, day).figures;
}

/** Every rack's figures and the sums it folds into its hall, in index order: what a partial pass reuses. */
export interface FiguresPass {
  figures: Figures;
  accs: Acc[];
}

/**
 * A pass that starts from a previous one: only the racks in `dirty` are read again, every other rack keeps
 * its figures and sums from `prev`; halls, the site, meters, loops and economics are folded afresh (a few
 * thousand racks' sums, not 100,000 devices); the pool figures are `prev`'s (they walk every device).
 */
export interface PartialPass {
  prev: FiguresPass;
  dirty: ReadonlySet<string>;
}

/**
 * computeFigures, keeping each rack's sums for a later partial pass. A partial pass gives what a full one
 * would where only the dirty racks' devices changed; a rack left out keeps the health it had at prev's
 * time (a device going stale is seen by the next full pass, the 1 s tick).
 */
export function computePass(input: LiveInput, energy?: EnergyWindow, index?: SiteIndex, day?: DayLedger, partial?: PartialPass): FiguresPass {
  const idx = index ?? indexFor(input.model);
  const accs: Acc[] = [];
  const racks: RackFigures[] = [];
  const halls: HallFigures[] = [];
  const rack_power = new Map<string, RackPowerState>();
  const site = emptyAcc();
  const hall_facility: Facility[] = [];

  for (const hi of idx.halls) {
    const hall = emptyAcc();
    for (const ri of hi.racks) {
      const k = racks.length;
      let acc: Acc;
      let rf: RackFigures;
      if (partial !== undefined && !partial.dirty.has(ri.rack.id)) {
        // read only by mergeAcc below, never changed: the previous pass's objects are shared as they are
        acc = partial.prev.accs[k];
        rf = partial.prev.figures.racks[k];
      } else {
        acc = emptyAcc();
        rf = rackFigures(input, ri, acc);
      }
      accs.push(acc);
      racks.push(rf);
      rack_power.set(rf.id, { power_w: rf.power_w, incomplete: acc.first_incomplete });
      mergeAcc(hall, acc);
    }
    countExtras(input, hi.extras, hall.health);
    const facility = metersPowerW(input, idx, hi.meters);
    hall_facility.push(facility);
    halls.push({ id: hi.hall.id, name: hi.hall.name, ...aggregate(hall, facility) });
    mergeAcc(site, hall);
  }
  countExtras(input, idx.site_extras, site.health);

  let site_facility = metersPowerW(input, idx, idx.site_meters);
  if (idx.site_meters.length === 0 && hall_facility.length > 0) {
    // Hall meters cover the whole site only when every hall has one; otherwise the sum would omit a hall.
    const unmetered = idx.halls.findIndex((hi) => hi.meters.length === 0);
    const failing = hall_facility.find((f) => f.w === null);
    if (unmetered !== -1) site_facility = { w: null, reason: `no site meter, hall ${idx.halls[unmetered].hall.id} has none` };
    else if (failing !== undefined) site_facility = failing;
    else site_facility = { w: hall_facility.reduce<number>((s, f) => s + (f.w ?? 0), 0), reason: null };
  }

  const e = energy === undefined ? null : energyFigures(energy, input.now);
  const siteFigures: SiteFigures = {
    name: input.model.name,
    ts: input.now,
    ...aggregate(site, site_facility),
    energy_it_kwh: e?.energy_it_kwh ?? 0,
    energy_facility_kwh: e?.energy_facility_kwh ?? 0,
  };
  siteFigures.pue_24h = e?.pue_24h ?? null;
  const connectivity = connectivityFigures(input);
  if (connectivity !== undefined) siteFigures.connectivity = connectivity;

  const loops = idx.loops.map((li) => loopFigures(input, idx, li, rack_power));
  // Issue 16: each hall's and the site's economics and power budget; `day` holds today's totals.
  attachEconomics(input, idx, siteFigures, halls, racks, day);
  const pools = partial === undefined ? poolFigures(input) : partial.prev.figures.pools;
  return { figures: { site: siteFigures, halls, racks, loops, pools }, accs };
}
