// The power budget and its flexibility (issue 16): the load against the cap of the site (its interconnect or
// supply contract) and of each hall, the firm load (AI: not shed for a price or a grid request) and the
// flexible load (mining: shed within a minute, the load demand-response and 4CP programmes pay for), each
// with its share of cooling and losses. Pure.

import type { PowerBudgetFigures } from '../core/types.js';
import type { FacilityEstimate } from './economics.js';

export interface BudgetLoad {
  it_w: number | null;
  mining_it_w: number | null;
  ai_it_w: number | null;
  /** the device-reported power of the miners hashing now (J/TH × TH/s over hashing miners) */
  hashing_miner_w: number | null;
  facility: FacilityEstimate;
}

/**
 * A cap is set at the meter (the utility's interconnect, a hall's switchgear), so the load it is judged
 * against is the scope's facility power: its meter, or IT × assumed PUE; only without either the IT power
 * (basis 'it', an understatement the wall says). Headroom = cap − load; cap ratio = load ÷ cap.
 * Firm = AI IT × facility factor; flexible = mining IT × facility factor; curtailable now = the hashing
 * miners' own power × facility factor: what stopping them sheds at the meter now (idle miners, the rack's
 * fans and PDUs stay). Without a facility factor the IT figures stand (a factor of 1).
 */
export function powerBudget(load: BudgetLoad, cap_w: number | null): PowerBudgetFigures {
  const f = load.facility;
  const load_w = f.facility_w ?? load.it_w;
  const basis = f.facility_w !== null ? f.basis : load.it_w !== null ? 'it' : null;
  const k = f.factor ?? 1;
  const scaled = (w: number | null): number | null => (w === null ? null : w * k);
  return {
    cap_w,
    load_w,
    load_basis: basis,
    headroom_w: cap_w === null || load_w === null ? null : cap_w - load_w,
    cap_ratio: cap_w === null || load_w === null ? null : load_w / cap_w,
    firm_w: scaled(load.ai_it_w),
    flexible_w: scaled(load.mining_it_w),
    curtailable_now_w: scaled(load.hashing_miner_w),
  };
}
