// A rack for engineers: its figures, its devices (live through a rack subscription) and its trends.

import type { DeviceStatus, RackFigures, RackLayout } from '../../../server/core/types.js';
import { TrendBuffer, TREND_WINDOW_MS, createTrendChart, fetchHistory, type TrendChart } from '../charts.js';
import type { AppContext } from '../context.js';
import { h, setText, tile, type View } from '../dom.js';
import { formatCount, formatHashrate, formatPct, formatPower, formatRatio, formatTemp } from '../format.js';
import { gpuLevel, hashrateLevel, inletLevel, powerLevel } from '../levels.js';
import { createDeviceTable } from './devices.js';
import { SERIES_COLORS } from './site.js';

interface RackReply { layout: RackLayout; hall: string; figures: RackFigures; devices: DeviceStatus[] }

export function createRackView(ctx: AppContext, rackId: string): View {
  const { live } = ctx;
  const title = h('h1', { class: 'view-title' }, `Rack ${rackId}`);
  const crumbs = h('nav', { class: 'crumbs' });
  const tiles = {
    power: tile('rack_power', 'Power'),
    load: tile('rack_load', 'Load vs rated'),
    inlet: tile('rack_inlet', 'Inlet / outlet'),
    feeds: tile('rack_feeds', 'Feeds A / B'),
    hash: tile('rack_hashrate', 'Hashrate'),
    gpu: tile('rack_gpu', 'GPU utilisation'),
    health: tile('rack_devices', 'Devices up'),
  };
  const table = createDeviceTable((device) => ctx.navigate({ view: 'device', device }));
  const powerCanvas = h('canvas');
  const inletCanvas = h('canvas');
  const el = h('div', { class: 'view rack-view' },
    h('div', { class: 'detail-head' }, crumbs, title),
    h('div', { class: 'tiles rack-tiles' }, ...Object.values(tiles).map((t) => t.el)),
    h('div', { class: 'detail-body' }, table.el,
      h('div', { class: 'detail-charts' },
        h('section', { class: 'panel chart' }, h('h2', {}, 'Rack power'), h('div', { class: 'chart-box' }, powerCanvas)),
        h('section', { class: 'panel chart' }, h('h2', {}, 'Inlet / outlet'), h('div', { class: 'chart-box' }, inletCanvas)))));

  const power = new TrendBuffer();
  const inlet = new TrendBuffer();
  const outlet = new TrendBuffer();
  let charts: TrendChart[] = [];
  let devices: DeviceStatus[] = [];
  let destroyed = false;

  const setCrumbs = (hall: string | undefined): void => {
    const site = h('a', { href: '?view=site' }, 'Site');
    site.addEventListener('click', (e) => { e.preventDefault(); ctx.navigate({ view: 'site' }); });
    crumbs.replaceChildren(site);
    if (hall) {
      const hl = h('a', { href: `?view=hall&hall=${encodeURIComponent(hall)}` }, `Hall ${hall}`);
      hl.addEventListener('click', (e) => { e.preventDefault(); ctx.navigate({ view: 'hall', hall }); });
      crumbs.append(' › ', hl);
    }
  };
  setCrumbs(live.state.racks.get(rackId)?.hall);

  const showFigures = (f: RackFigures | undefined): void => {
    if (!f) return;
    tiles.power.set(formatPower(f.power_w), f.power_source === 'pdu' ? 'measured at PDU' : f.power_source === 'estimated' ? 'estimated from devices' : 'no reading',
      f.power_w == null ? 'unknown' : 'ok');
    tiles.load.set(formatRatio(f.load_ratio), `of ${f.rated_kw} kW rated · headroom ${formatPower(f.headroom_w)}`, powerLevel(f.load_ratio));
    tiles.inlet.set(formatTemp(f.inlet_temp_c), `outlet ${formatTemp(f.outlet_temp_c)} · ΔT ${formatTemp(f.delta_t_c)}`,
      inletLevel(f.ashrae, f.inlet_temp_c));
    tiles.feeds.set(`${formatPower(f.feed_a_w)} / ${formatPower(f.feed_b_w)}`,
      f.feed_failover_ok == null ? 'feeds not metered' : f.feed_failover_ok ? 'one feed can carry the rack' : 'one feed cannot carry the rack',
      f.feed_failover_ok == null ? 'unknown' : f.feed_failover_ok ? 'ok' : 'warn');
    tiles.hash.set(formatHashrate(f.hashrate_ths), `${formatRatio(f.hashrate_ratio)} of ${formatHashrate(f.nominal_ths)}`,
      hashrateLevel(f.hashrate_ratio));
    tiles.gpu.set(formatPct(f.gpu_util_pct), `${formatCount(f.gpus_busy)} busy · ${formatCount(f.gpus_idle)} idle`, gpuLevel(f.gpu_util_pct));
    const total = f.health.up + f.health.degraded + f.health.down;
    tiles.health.set(`${formatCount(f.health.up)} / ${formatCount(total)}`,
      `${formatCount(f.health.degraded)} degraded · ${formatCount(f.health.down)} down`,
      f.health.down > 0 ? 'crit' : f.health.degraded > 0 ? 'warn' : total ? 'ok' : 'unknown');
    const ts = live.state.serverTs ?? Date.now();
    power.push(ts, f.power_w);
    inlet.push(ts, f.inlet_temp_c);
    outlet.push(ts, f.outlet_temp_c);
  };

  void (async () => {
    try {
      const res = await fetch(`/api/v1/racks/${encodeURIComponent(rackId)}`);
      if (destroyed) return;
      if (!res.ok) {
        setText(title, `Rack ${rackId}: not found`);
        return;
      }
      const body = (await res.json()) as RackReply;
      if (destroyed) return;
      setCrumbs(body.hall);
      devices = body.devices;
      table.update(devices, Date.now());
      showFigures(live.state.racks.get(rackId) ?? body.figures);
    } catch {
      // The socket's staleness banner already tells the room the server is away.
    }
    const now = Date.now();
    const [p, i, o] = await Promise.all([
      fetchHistory(`rack:${rackId}`, 'power_w', now - TREND_WINDOW_MS, now, 10_000),
      fetchHistory(`rack:${rackId}`, 'inlet_temp_c', now - TREND_WINDOW_MS, now, 10_000),
      fetchHistory(`rack:${rackId}`, 'outlet_temp_c', now - TREND_WINDOW_MS, now, 10_000),
    ]);
    if (p) power.prefill(p);
    if (i) inlet.prefill(i);
    if (o) outlet.prefill(o);
  })();

  const unwatch = live.watchRack(rackId, (u) => {
    devices = u.devices;
    table.update(devices, Date.now());
  });

  const raf = requestAnimationFrame(() => {
    charts = [
      createTrendChart(powerCanvas, [{ label: 'Power', buffer: power, color: SERIES_COLORS.blue, fill: true }], { unit: 'power', min: 0 }),
      createTrendChart(inletCanvas, [
        { label: 'Inlet', buffer: inlet, color: SERIES_COLORS.vermillion },
        { label: 'Outlet', buffer: outlet, color: SERIES_COLORS.orange },
      ], { unit: 'temp' }),
    ];
  });

  return {
    el,
    update() {
      showFigures(live.state.racks.get(rackId));
    },
    tick(now) {
      table.update(devices, now);
      for (const c of charts) c.refresh();
    },
    destroy() {
      destroyed = true;
      unwatch();
      cancelAnimationFrame(raf);
      for (const c of charts) c.destroy();
    },
  };
}
