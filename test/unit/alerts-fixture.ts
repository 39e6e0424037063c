// Hand-built site model, figures and device statuses for the alert tests: small, explicit numbers.
import type {
  CatalogueModel, DeviceModel, DeviceStatus, Figures, HallFigures, LoopFigures, RackFigures, SiteFigures, SiteModel,
} from '../../server/core/types.js';
import { collectorSettings } from '../helpers/collectors.js';

export const S21: CatalogueModel = {
  key: 'antminer-s21', kind: 'asic', name: 'Antminer S21', nominal_ths: 200, nominal_power_w: 3500, max_temp_c: 95,
};
export const H100: CatalogueModel = {
  key: 'h100-sxm', kind: 'gpu', name: 'H100 SXM', nominal_power_w: 700, max_temp_c: 87,
};

export function siteModel(extraDevices: DeviceModel[] = []): SiteModel {
  const devices: DeviceModel[] = [
    { id: 'A-01-01', kind: 'asic', model: 'antminer-s21', hall: 'A', rack: 'A-01' },
    { id: 'A-01-02', kind: 'asic', model: 'antminer-s21', hall: 'A', rack: 'A-01', max_temp_c: 85 },
    { id: 'n1/gpu0', kind: 'gpu', model: 'h100-sxm', hall: 'G', rack: 'G-01', node: 'n1', gpu_index: 0 },
    ...extraDevices,
  ];
  return {
    name: 'test', halls: [], loops: [], meters: [], alert_rules: [],
    devices: new Map(devices.map((d) => [d.id, d])),
    racks: new Map(),
    catalogue: new Map([[S21.key, S21], [H100.key, H100]]),
    collectors: collectorSettings(undefined, {
      cgminer: { interval_s: 10, timeout_ms: 2000, concurrency: 64 },
      dcgm: { interval_s: 15, timeout_ms: 2000, concurrency: 16 },
      whatsminer_v3: { interval_s: 10, timeout_ms: 2000, concurrency: 64 },
    }),
    retention: { raw_hours: 48, minute_days: 90, hour_days: 1825 },
    auth: { ingest_tokens: [] },
    prometheus: { per_device: false },
    pue_target: 1.3,
  };
}

const health = { up: 0, degraded: 0, down: 0 };

export function rack(p: Partial<RackFigures> & { id: string }): RackFigures {
  return {
    hall: 'A', power_w: null, power_source: null, rated_kw: 20, headroom_w: null, load_ratio: null, feed_a_w: null,
    feed_b_w: null, feed_failover_ok: null, inlet_temp_c: null, outlet_temp_c: null, delta_t_c: null, ashrae: null,
    hashrate_ths: null, nominal_ths: null, hashrate_ratio: null, gpu_util_pct: null, gpus_busy: 0, gpus_idle: 0,
    health: { ...health }, hot_members: 0, hottest: null, ...p,
  };
}

const aggregate = {
  it_power_w: null, it_power_complete: true, facility_power_w: null, pue: null, pue_unknown_reason: null, pue_24h: null, hashrate_ths: null, nominal_ths: null,
  hashrate_ratio: null, j_per_th: null, miners_hashing: 0, miners_total: 0, gpu_util_pct: null, gpus_busy: 0,
  gpus_idle: 0, gpus_total: 0, w_per_gpu: null, worst_inlet_c: null,
};

export function site(p: Partial<SiteFigures> = {}): SiteFigures {
  return { ...aggregate, health: { ...health }, name: 'test', ts: 0, energy_it_kwh: 0, energy_facility_kwh: 0, ...p };
}

export function hall(p: Partial<HallFigures> & { id: string }): HallFigures {
  return { ...aggregate, health: { ...health }, name: p.id, ...p };
}

export function loop(p: Partial<LoopFigures> & { id: string }): LoopFigures {
  return {
    supply_temp_c: null, return_temp_c: null, flow_lpm: null, delta_t_c: null, heat_removed_w: null,
    it_power_w: null, capture_ratio: null, capture_unknown_reason: null, ...p,
  };
}

export function figures(p: Partial<Figures> = {}): Figures {
  return { site: site(), halls: [], racks: [], loops: [], ...p };
}

export function asic(id: string, metrics: DeviceStatus['metrics'], p: Partial<DeviceStatus> = {}): DeviceStatus {
  return { id, kind: 'asic', rack: 'A-01', hall: 'A', model: 'antminer-s21', health: 'up', last_seen: 0, metrics, ...p };
}

export function gpu(id: string, metrics: DeviceStatus['metrics'], p: Partial<DeviceStatus> = {}): DeviceStatus {
  return { id, kind: 'gpu', rack: 'G-01', hall: 'G', model: 'h100-sxm', health: 'up', last_seen: 0, metrics, ...p };
}

export const MIN = 60_000;
