// A rack's figures for the wall's logic tests: a healthy 20 kW mining rack, with what a test changes.
import type { RackFigures } from '../../server/core/types.js';

export function rack(id: string, over: Partial<RackFigures> = {}): RackFigures {
  return {
    id, hall: 'M', power_w: 10_000, power_source: 'pdu', rated_kw: 20, headroom_w: 6000, load_ratio: 0.5, feed_a_w: null,
    feed_b_w: null, feed_failover_ok: null, inlet_temp_c: 24, outlet_temp_c: 40, delta_t_c: 16, ashrae: 'recommended',
    hashrate_ths: 1000, nominal_ths: 1000, hashrate_ratio: 1, gpu_util_pct: null, gpus_busy: 0, gpus_idle: 0,
    health: { up: 5, degraded: 0, down: 0 }, hot_members: 0, hottest: null, ...over,
  };
}
