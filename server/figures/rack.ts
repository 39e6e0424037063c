// One rack's figures (docs/ARCHITECTURE.md §4): its devices read once, power from its PDUs or else its
// devices, the completeness of that power, feeds, inlet against ASHRAE, hashrate and GPU use; the sums that
// fold into its hall are added to the caller's accumulator on the way.

import type { HottestMember, RackFigures, LiveInput } from '../core/types.js';
import { addGpu, addMiner, utilFigures } from './utilisation.js';
import { feedCheck, headroomW, loadRatio, pduPowerW, rackPower } from './power.js';
import { airDeltaTC } from './cooling.js';
import { ashraeState, TEMP_NEAR_LIMIT_C } from './bands.js';
import { healthOf, liveOf, maxOf, metric, nominalOf } from './device-reading.js';
import type { Acc } from './aggregate.js';
import type { RackIndex } from './site-index.js';

export function rackFigures(input: LiveInput, ri: RackIndex, acc: Acc): RackFigures {
  const rack = ri.rack;
  let dev_w = 0;
  let dev_w_known = false;
  let pdu_count = 0;
  let pdu_w = 0;
  let pdu_all_ok = true;
  let feed_a: number | null = null;
  let feed_b: number | null = null;
  let env_in: number | null = null;
  let env_out: number | null = null;
  let asic_in: number | null = null;
  let asic_out: number | null = null;
  // Completeness of the device sum: miners and GPUs that draw IT power, those down, those up without power_w.
  let power_devices = 0;
  let power_down = 0;
  let power_missing = 0;
  const health = acc.health;
  const util = acc.util;
  let hot_members = 0;
  let hottest: HottestMember | null = null;
  // Margin to the limit, not the raw temperature: an S21 at 80 °C (limit 95) is cooler than an H100 at 80 °C
  // (limit 85) is close to its.
  const hot = (id: string, temp: number | null, limit: number | null): void => {
    if (temp === null || limit === null) return;
    if (temp >= limit - TEMP_NEAR_LIMIT_C) hot_members++;
    if (hottest === null || limit - temp < hottest.limit_c - hottest.temp_c) hottest = { id, temp_c: temp, limit_c: limit };
  };

  for (const ref of ri.devices) {
    const live = liveOf(input, ref);
    const h = healthOf(input, ref, live).health;
    health[h]++;
    const down = h === 'down';
    switch (ref.kind) {
      case 'asic': {
        const hr = metric(live, 'hashrate_ths');
        addMiner(util, hr, nominalOf(ref, live), down);
        power_devices++;
        if (down) {
          power_down++;
          break;
        }
        const p = metric(live, 'power_w');
        if (p === null) power_missing++;
        else {
          dev_w += p;
          dev_w_known = true;
          if (hr !== null && hr > 0) {
            acc.jpt_w += p;
            acc.jpt_ths += hr;
          }
        }
        hot(ref.id, metric(live, 'chip_temp_c'), ref.max_temp_c);
        asic_in = maxOf(asic_in, metric(live, 'inlet_temp_c'));
        asic_out = maxOf(asic_out, metric(live, 'outlet_temp_c'));
        break;
      }
      case 'gpu': {
        addGpu(util, metric(live, 'util_pct'), down);
        power_devices++;
        if (down) {
          power_down++;
          break;
        }
        hot(ref.id, metric(live, 'temp_c'), ref.max_temp_c);
        const p = metric(live, 'power_w');
        if (p === null) power_missing++;
        else {
          dev_w += p;
          dev_w_known = true;
          acc.gpu_w += p;
          acc.gpu_w_count++;
        }
        break;
      }
      case 'env':
        if (down) break;
        env_in = maxOf(env_in, metric(live, 'inlet_temp_c'));
        env_out = maxOf(env_out, metric(live, 'outlet_temp_c'));
        break;
      case 'pdu': {
        pdu_count++;
        if (down) {
          pdu_all_ok = false;
          break;
        }
        const a = metric(live, 'feed_a_w');
        const b = metric(live, 'feed_b_w');
        const p = pduPowerW(metric(live, 'power_w'), a, b);
        if (p === null) pdu_all_ok = false;
        else pdu_w += p;
        if (a !== null) feed_a = (feed_a ?? 0) + a;
        if (b !== null) feed_b = (feed_b ?? 0) + b;
        break;
      }
      default:
        break;
    }
  }

  // Every PDU of the rack must be read for the PDU figure to be the rack's: one of two strips alone is half.
  const power = rackPower(pdu_count > 0 && pdu_all_ok ? pdu_w : null, dev_w_known ? dev_w : null);
  if (power.power_w !== null) {
    acc.it_w += power.power_w;
    acc.it_known = true;
  }
  // Complete when every PDU measured the rack, or else every device that draws power reported it now
  // (a rack with neither PDUs nor such devices has no IT load to miss). A PDU rack's own stale miners do
  // not matter: the strip measures what the rack draws whatever its miners say.
  const pduComplete = pdu_count > 0 && pdu_all_ok;
  const devicesComplete = power_down === 0 && power_missing === 0 && (power_devices > 0 || pdu_count === 0);
  acc.racks++;
  if (!pduComplete && !devicesComplete) {
    acc.incomplete++;
    if (acc.first_incomplete === null) {
      const why: string[] = [];
      if (pdu_count > 0) why.push(pdu_count === 1 ? 'PDU not current' : 'PDUs not current');
      if (power_down > 0) why.push(`${power_down} of ${power_devices} devices down`);
      if (power_missing > 0) why.push(`${power_missing} of ${power_devices} devices without power_w`);
      acc.first_incomplete = `${rack.id} (${why.join(', ')})`;
    }
  }
  // Rack sensors measure the air the rack breathes; miners' own inlet sensors are the fallback.
  const inlet = env_in ?? asic_in;
  const outlet = env_out ?? asic_out;
  acc.worst_inlet_c = maxOf(acc.worst_inlet_c, inlet);
  const u = utilFigures(util);
  const feeds = feedCheck(feed_a, feed_b, rack.feed_rated_kw, rack.feeds.length);

  return {
    id: rack.id,
    hall: rack.hall,
    power_w: power.power_w,
    power_source: power.power_source,
    rated_kw: rack.rated_kw,
    headroom_w: headroomW(power.power_w, rack.rated_kw),
    load_ratio: loadRatio(power.power_w, rack.rated_kw),
    feed_a_w: feed_a,
    feed_b_w: feed_b,
    feed_failover_ok: feeds.failover_ok,
    inlet_temp_c: inlet,
    outlet_temp_c: outlet,
    delta_t_c: airDeltaTC(inlet, outlet),
    ashrae: ashraeState(inlet),
    hashrate_ths: u.hashrate_ths,
    nominal_ths: u.nominal_ths,
    hashrate_ratio: u.hashrate_ratio,
    gpu_util_pct: u.gpu_util_pct,
    gpus_busy: u.gpus_busy,
    gpus_idle: u.gpus_idle,
    health: { ...health },
    hot_members,
    hottest,
    ...(input.curtailed?.has(rack.id) ? { curtailed: true as const } : {}),
  };
}
