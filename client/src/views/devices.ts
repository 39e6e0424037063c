// The engineers' device table (rack page) and per-kind key metrics.

import type { DeviceKind, DeviceStatus, MetricName } from '../../../server/core/types.js';
import { h, setAttr, setText } from '../dom.js';
import { formatDuration, formatMetric, formatPower } from '../format.js';

export const KEY_METRICS: Record<DeviceKind, MetricName[]> = {
  asic: ['hashrate_ths', 'chip_temp_c', 'inlet_temp_c', 'fan_rpm'],
  gpu: ['util_pct', 'temp_c', 'mem_temp_c', 'mem_used_mib'],
  env: ['inlet_temp_c', 'outlet_temp_c', 'humidity_pct'],
  pdu: ['feed_a_w', 'feed_b_w'],
  cooling_loop: ['supply_temp_c', 'return_temp_c', 'flow_lpm'],
  meter: [],
  probe: ['latency_ms', 'loss_pct'],
  market: ['energy_price_usd_per_mwh', 'hashprice_usd_per_ph_day', 'btc_usd'],
  ups: ['on_battery', 'battery_charge_pct', 'battery_runtime_s', 'output_power_w'],
  network_link: ['oper_up', 'rx_bps', 'tx_bps', 'latency_ms'],
};

export const HEALTH_SYMBOL = { up: '●', degraded: '▲', down: '✖' } as const;
export const HEALTH_LEVEL = { up: 'ok', degraded: 'warn', down: 'crit' } as const;

export function keyMetricsText(d: DeviceStatus): string {
  const parts = KEY_METRICS[d.kind].map((m) => formatMetric(m, d.metrics[m]));
  if (d.kind === 'asic' && d.metrics.chains_total != null) {
    parts.push(`chains ${d.metrics.chains_ok ?? '—'}/${d.metrics.chains_total}`);
  }
  return parts.join(' · ');
}

export function powerText(d: DeviceStatus): string {
  const w = d.metrics.power_w;
  if (w == null) return '—';
  return `${formatPower(w)}${d.power_source ? ` (${d.power_source})` : ''}`;
}

export interface DeviceTable {
  el: HTMLElement;
  update(devices: readonly DeviceStatus[], now: number): void;
}

export function createDeviceTable(onDevice: (id: string) => void): DeviceTable {
  const body = h('tbody');
  const el = h('div', { class: 'table-box' }, h('table', { class: 'devices' },
    h('thead', {}, h('tr', {}, ...['Device', 'Kind', 'Model', 'Status', 'Key metrics', 'Power (source)', 'Last seen']
      .map((t) => h('th', {}, t)))), body));
  const rows = new Map<string, HTMLTableRowElement>();
  let devices: readonly DeviceStatus[] = [];
  const render = (now: number): void => {
    const seen = new Set<string>();
    for (const d of devices) {
      seen.add(d.id);
      let tr = rows.get(d.id);
      if (!tr) {
        tr = h('tr', { 'data-device': d.id, class: 'clickable' });
        for (let i = 0; i < 7; i++) tr.append(h('td'));
        tr.addEventListener('click', () => onDevice(d.id));
        rows.set(d.id, tr);
        body.append(tr);
      }
      const c = Array.from(tr.children);
      setAttr(tr, 'data-level', HEALTH_LEVEL[d.health]);
      setText(c[0], d.id);
      setText(c[1], d.kind);
      setText(c[2], d.model ?? '—');
      setText(c[3], `${HEALTH_SYMBOL[d.health]} ${d.health}${d.reason ? ` (${d.reason})` : ''}`);
      setText(c[4], keyMetricsText(d));
      setText(c[5], powerText(d));
      setText(c[6], d.last_seen == null ? 'never' : `${formatDuration(now - d.last_seen)} ago`);
    }
    for (const [id, tr] of rows) {
      if (!seen.has(id)) {
        tr.remove();
        rows.delete(id);
      }
    }
  };
  return {
    el,
    update(next, now) {
      devices = next;
      render(now);
    },
  };
}
