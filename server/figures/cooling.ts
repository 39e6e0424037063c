// Cooling figures (docs/ARCHITECTURE.md §4): air ΔT, liquid heat removed and its ratio to IT power, temperature
// headroom to the model's limit, and the Rack Cooling Index. The ASHRAE bands, and a rack inlet's state
// against them (ashraeState), are in bands.ts.

import type { Fluid } from '../core/types.js';
import { ASHRAE_A1_ALLOWABLE_MAX_C, ASHRAE_A1_ALLOWABLE_MIN_C, ASHRAE_RECOMMENDED_MAX_C, ASHRAE_RECOMMENDED_MIN_C } from './bands.js';

/** Air temperature rise across the rack: outlet − inlet. */
export function airDeltaTC(inlet_temp_c: number | null, outlet_temp_c: number | null): number | null {
  if (inlet_temp_c === null || outlet_temp_c === null) return null;
  return outlet_temp_c - inlet_temp_c;
}

export interface FluidProperties {
  density_kg_m3: number;
  cp_j_kg_k: number;
}

/**
 * Typical properties at loop temperatures of about 20–35 °C. Good to a few per cent, which is the accuracy
 * of a loop's flow meter anyway.
 * - water: 998 kg/m³, 4186 J/kg·K (IAPWS values near 20 °C).
 * - pg25: propylene glycol 25 % by volume, ≈1020 kg/m³, ≈3900 J/kg·K (ASHRAE Handbook Fundamentals ch. 31;
 *   Dow DOWFROST tables).
 * - eg30: ethylene glycol 30 % by volume, ≈1040 kg/m³, ≈3600 J/kg·K (ASHRAE Handbook Fundamentals ch. 31;
 *   Dow DOWTHERM SR-1 tables).
 * - immersion_oil: single-phase synthetic-hydrocarbon dielectric (GTL / PAO-based immersion fluids such as
 *   Shell Immersion Cooling Fluid S5 X or Engineered Fluids ElectroCool): datasheets give 0.78–0.85 g/cm³ and
 *   2.0–2.3 kJ/kg·K; 800 kg/m³ and 2100 J/kg·K.
 * - pao: polyalphaolefin 2 cSt coolant (MIL-PRF-87252 class), ≈795 kg/m³, ≈2200 J/kg·K.
 */
export const FLUIDS: Record<Fluid, FluidProperties> = {
  water: { density_kg_m3: 998, cp_j_kg_k: 4186 },
  pg25: { density_kg_m3: 1020, cp_j_kg_k: 3900 },
  eg30: { density_kg_m3: 1040, cp_j_kg_k: 3600 },
  immersion_oil: { density_kg_m3: 800, cp_j_kg_k: 2100 },
  pao: { density_kg_m3: 795, cp_j_kg_k: 2200 },
};

/** L/min → m³/s: 1 L = 0.001 m³, 1 min = 60 s. */
export function lpmToM3s(flow_lpm: number): number {
  return flow_lpm / 60_000;
}

/**
 * Heat carried away by a liquid loop: Q = V̇ × ρ × cp × ΔT (W), ΔT = return − supply. Negative when the
 * return is colder than the supply (sensor swap or a loop that heats): returned as is, not hidden.
 */
export function liquidHeatW(flow_lpm: number | null, supply_temp_c: number | null, return_temp_c: number | null, fluid: Fluid): number | null {
  if (flow_lpm === null || supply_temp_c === null || return_temp_c === null) return null;
  const f = FLUIDS[fluid];
  return lpmToM3s(flow_lpm) * f.density_kg_m3 * f.cp_j_kg_k * (return_temp_c - supply_temp_c);
}

/** Heat removed ÷ IT power of the loop's racks: how much of the IT heat the liquid captures. */
export function captureRatio(heat_removed_w: number | null, it_power_w: number | null): number | null {
  if (heat_removed_w === null || it_power_w === null || !(it_power_w > 0)) return null;
  return heat_removed_w / it_power_w;
}

/** °C left before the model's limit (chip slowdown / max temperature); negative = over. */
export function tempHeadroomC(temp_c: number | null | undefined, limit_c: number | null | undefined): number | null {
  if (temp_c === null || temp_c === undefined || limit_c === null || limit_c === undefined) return null;
  return limit_c - temp_c;
}

export interface RciBounds {
  max_recommended_c: number;
  max_allowable_c: number;
  min_recommended_c: number;
  min_allowable_c: number;
}

export const RCI_ASHRAE_A1: RciBounds = {
  max_recommended_c: ASHRAE_RECOMMENDED_MAX_C,
  max_allowable_c: ASHRAE_A1_ALLOWABLE_MAX_C,
  min_recommended_c: ASHRAE_RECOMMENDED_MIN_C,
  min_allowable_c: ASHRAE_A1_ALLOWABLE_MIN_C,
};

export interface Rci {
  /** 100 % = no inlet above the recommended maximum; < 0 possible when inlets exceed the allowable maximum */
  rci_hi_pct: number;
  rci_lo_pct: number;
}

/**
 * Rack Cooling Index (Herrlin, ASHRAE Transactions 2005) over n rack inlet temperatures:
 *   RCI_HI = [1 − Σ(Tx − Tmax_rec) for Tx > Tmax_rec ÷ ((Tmax_all − Tmax_rec) × n)] × 100 %
 *   RCI_LO = [1 − Σ(Tmin_rec − Tx) for Tx < Tmin_rec ÷ ((Tmin_rec − Tmin_all) × n)] × 100 %
 * Unknown inlets are left out of n. null when no inlet is known.
 */
export function rackCoolingIndex(inlets_c: Iterable<number | null | undefined>, bounds: RciBounds = RCI_ASHRAE_A1): Rci | null {
  let n = 0;
  let over = 0;
  let under = 0;
  for (const t of inlets_c) {
    if (t === null || t === undefined) continue;
    n++;
    if (t > bounds.max_recommended_c) over += t - bounds.max_recommended_c;
    if (t < bounds.min_recommended_c) under += bounds.min_recommended_c - t;
  }
  if (n === 0) return null;
  return {
    rci_hi_pct: (1 - over / ((bounds.max_allowable_c - bounds.max_recommended_c) * n)) * 100,
    rci_lo_pct: (1 - under / ((bounds.min_recommended_c - bounds.min_allowable_c) * n)) * 100,
  };
}
