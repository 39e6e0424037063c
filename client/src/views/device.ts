// One device for engineers: status, every metric it reports, and its main metric over the last hour.

import type { DeviceKind, DeviceStatus, MetricName } from '../../../server/core/types.js';
import { TrendBuffer, TREND_WINDOW_MS, createTrendChart, fetchHistory, type AxisUnit, type TrendChart } from '../charts.js';
import type { AppContext } from '../context.js';
import { h, setText, tile, type View } from '../dom.js';
import { formatDuration, formatMetric, metricLabel } from '../format.js';
import { HEALTH_LEVEL, powerText } from './devices.js';
import { SERIES_COLORS } from './site.js';

const MAIN_METRIC: Record<DeviceKind, MetricName> = {
  asic: 'hashrate_ths', gpu: 'util_pct', env: 'inlet_temp_c', pdu: 'power_w', cooling_loop: 'supply_temp_c', meter: 'power_w',
  probe: 'loss_pct',
  market: 'energy_price_usd_per_mwh',
  ups: 'battery_charge_pct', network_link: 'rx_bps',
};

/** The chart's axis for each kind's main metric, in that metric's own unit. */
const AXIS_UNIT: Record<DeviceKind, AxisUnit> = {
  asic: 'hashrate', gpu: 'pct', env: 'temp', pdu: 'power', cooling_loop: 'temp', meter: 'power',
  probe: 'pct',
  market: 'count',
  ups: 'pct', network_link: 'count',
};

export function createDeviceView(ctx: AppContext, deviceId: string): View {
  const { live } = ctx;
  const title = h('h1', { class: 'view-title' }, `Device ${deviceId}`);
  const crumbs = h('nav', { class: 'crumbs' });
  const status = tile('device_status', 'Status');
  const powerTile = tile('device_power', 'Power (source)');
  const seen = tile('device_last_seen', 'Last seen');
  const metricsBody = h('tbody');
  const chartTitle = h('h2', {}, 'Last hour');
  const canvas = h('canvas');
  const el = h('div', { class: 'view device-view' },
    h('div', { class: 'detail-head' }, crumbs, title),
    h('div', { class: 'tiles device-tiles' }, status.el, powerTile.el, seen.el),
    h('div', { class: 'detail-body' },
      h('div', { class: 'table-box' }, h('table', { class: 'metrics' }, h('thead', {}, h('tr', {}, h('th', {}, 'Metric'), h('th', {}, 'Value'))), metricsBody)),
      h('div', { class: 'detail-charts' }, h('section', { class: 'panel chart' }, chartTitle, h('div', { class: 'chart-box' }, canvas)))));

  const trend = new TrendBuffer();
  let device: DeviceStatus | null = null;
  let chart: TrendChart | null = null;
  let unwatch: (() => void) | null = null;
  let destroyed = false;

  const show = (d: DeviceStatus, now: number): void => {
    device = d;
    // The tile's own style draws ▲/✖ for warn and crit: a symbol here as well was printed twice.
    status.set(d.health, `${d.kind}${d.model ? ` · ${d.model}` : ''}${d.reason ? ` · ${d.reason}` : ''}`, HEALTH_LEVEL[d.health]);
    powerTile.set(powerText(d), d.rack ? `rack ${d.rack}` : '', d.metrics.power_w == null ? 'unknown' : 'ok');
    seen.set(d.last_seen == null ? 'never' : `${formatDuration(now - d.last_seen)} ago`, '', d.last_seen == null ? 'unknown' : 'ok');
    const rows = Object.entries(d.metrics).map(([k, v]) => h('tr', {}, h('td', {}, metricLabel(k)), h('td', {}, formatMetric(k, v))));
    metricsBody.replaceChildren(...rows);
    const main = MAIN_METRIC[d.kind];
    setText(chartTitle, `${metricLabel(main)}, last hour`);
    if (d.last_seen != null) trend.push(d.last_seen, d.metrics[main] ?? null);
  };

  // The axis is in the main metric's unit, known once the device is: the chart waits for both the device
  // and the laid-out box (a chart made first had a bare "202, 200, 198" hashrate axis).
  let laidOut = false;
  const startChart = (): void => {
    if (chart || !laidOut || !device || destroyed) return;
    const unit = AXIS_UNIT[device.kind];
    chart = createTrendChart(canvas, [{ label: deviceId, buffer: trend, color: SERIES_COLORS.blue, fill: true }],
      { unit, ...(unit === 'temp' ? {} : { min: 0 }) });
  };
  const crumb = (label: string, params: Record<string, string>): HTMLAnchorElement => {
    const a = h('a', { href: `?${new URLSearchParams(params).toString()}` }, label);
    a.addEventListener('click', (e) => { e.preventDefault(); ctx.navigate(params); });
    return a;
  };

  void (async () => {
    try {
      const res = await fetch(`/api/v1/devices/${encodeURIComponent(deviceId)}`);
      if (destroyed) return;
      if (!res.ok) {
        setText(title, `Device ${deviceId}: not found`);
        return;
      }
      const d = (await res.json()) as DeviceStatus;
      if (destroyed) return;
      crumbs.replaceChildren(crumb('Site', { view: 'site' }));
      if (d.hall) crumbs.append(' › ', crumb(`Hall ${d.hall}`, { view: 'hall', hall: d.hall }));
      if (d.rack) crumbs.append(' › ', crumb(`Rack ${d.rack}`, { view: 'rack', rack: d.rack }));
      show(d, Date.now());
      startChart();
      if (d.rack) {
        unwatch = live.watchRack(d.rack, (u) => {
          const next = u.devices.find((x) => x.id === deviceId);
          if (next) show(next, Date.now());
        });
      }
      const now = Date.now();
      const points = await fetchHistory(`device:${deviceId}`, MAIN_METRIC[d.kind], now - TREND_WINDOW_MS, now, 10_000);
      if (points) trend.prefill(points);
    } catch {
      // Staleness is the banner's job.
    }
  })();

  const raf = requestAnimationFrame(() => {
    laidOut = true;
    startChart();
  });

  return {
    el,
    update() {},
    tick(now) {
      if (device) seen.set(device.last_seen == null ? 'never' : `${formatDuration(now - device.last_seen)} ago`, '', device.last_seen == null ? 'unknown' : 'ok');
      chart?.refresh();
    },
    destroy() {
      destroyed = true;
      unwatch?.();
      cancelAnimationFrame(raf);
      chart?.destroy();
    },
  };
}
