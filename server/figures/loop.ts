// One cooling loop's figures (docs/ARCHITECTURE.md §4): its own sensors, the IT power of the racks it
// serves, the heat it removes and the share of IT heat that is.

import type { LiveInput, LoopFigures } from '../core/types.js';
import { captureRatio, liquidHeatW } from './cooling.js';
import { healthOf, metric } from './device-reading.js';
import { itIncomplete } from './aggregate.js';
import type { LoopIndex, SiteIndex } from './site-index.js';

/** A rack's power and, when its inputs were not all current, why (from rackFigures' accumulator). */
export interface RackPowerState {
  power_w: number | null;
  incomplete: string | null;
}

export function loopFigures(input: LiveInput, idx: SiteIndex, li: LoopIndex, rack_power: Map<string, RackPowerState>): LoopFigures {
  // The loop's sensors are the device that carries the loop's id.
  const ref = idx.devices.get(li.loop.id);
  const live = input.devices.get(li.loop.id);
  const h = ref !== undefined && live !== undefined ? healthOf(input, ref, live) : null;
  const fresh = h !== null && h.health !== 'down';
  const supply = fresh ? metric(live, 'supply_temp_c') : null;
  const ret = fresh ? metric(live, 'return_temp_c') : null;
  const flow = fresh ? metric(live, 'flow_lpm') : null;
  let it = 0;
  let it_known = false;
  let incomplete = 0;
  let first: string | null = null;
  for (const r of li.racks) {
    const st = rack_power.get(r.rack.id);
    if (st === undefined) continue;
    if (st.incomplete !== null) {
      incomplete++;
      first ??= st.incomplete;
    }
    if (st.power_w === null) continue;
    it += st.power_w;
    it_known = true;
  }
  const it_power_w = it_known ? it : null;
  const heat = liquidHeatW(flow, supply, ret, li.loop.fluid);
  // Heat removed ÷ IT power of the loop's racks: a sensor ratio against a sum of racks, so the same rule as PUE.
  const reasons: string[] = [];
  if (!fresh) reasons.push(`loop ${li.loop.id}: ${h === null ? 'no data' : (h.reason ?? 'down')}`);
  else if (heat === null) reasons.push(`loop ${li.loop.id}: no flow or temperature reading`);
  if (incomplete > 0) reasons.push(itIncomplete(li.racks.length, incomplete, first));
  if (reasons.length === 0 && !(it_power_w !== null && it_power_w > 0)) reasons.push('no IT load');
  return {
    id: li.loop.id,
    supply_temp_c: supply,
    return_temp_c: ret,
    flow_lpm: flow,
    delta_t_c: supply !== null && ret !== null ? ret - supply : null,
    heat_removed_w: heat,
    it_power_w,
    capture_ratio: reasons.length === 0 ? captureRatio(heat, it_power_w) : null,
    capture_unknown_reason: reasons.length === 0 ? null : reasons.join('; '),
  };
}
