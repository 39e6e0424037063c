// One hall on the wall: the floor map coloured by the chosen metric, the racks that need a look named in
// large type, its legend with units, the hall's figures (power against its budget) and every alert that
// concerns the hall: its racks', devices' and loops', and the site's (DATA STALE, PUE), worst first.

import type { AlertView } from '../../../server/core/types.js';
import type { AppContext } from '../context.js';
import { h, setAttr, setText, type View } from '../dom.js';
import {
  COLOR_METRICS, LEVEL_SYMBOL, METRIC_TITLE, isColorMetric, legendFor, type ColorMetric,
} from '../levels.js';
import type { LiveState } from '../live.js';
import { createAttentionList, racksNeedingAttention } from './attention.js';
import { createAggregateTiles, createAlertList } from './common.js';
import { createFloorMap, defaultMetricFor, hallLabel, metricsFor, type FloorMap } from './floormap.js';

/** Short names for the desk's metric buttons: the long titles are the legend's. */
const METRIC_BUTTON: Record<ColorMetric, string> = { inlet: 'Inlet', power: 'Power', hashrate: 'Hashrate', gpu: 'GPU' };

/**
 * Whether an alert belongs in this hall's view: one the server placed in this hall (a device's, rack's or
 * loop's), or one placed in no hall at all (site and collector alerts concern every hall). A rack scope
 * without the server's hall (an older server) is placed by the rack's figures.
 */
export function alertConcernsHall(a: AlertView, hallId: string, state: Pick<LiveState, 'racks'>): boolean {
  let hall = a.hall;
  if (hall === undefined && a.scope.startsWith('hall:')) hall = a.scope.slice(5);
  if (hall === undefined && a.scope.startsWith('rack:')) hall = state.racks.get(a.scope.slice(5))?.hall;
  return hall === undefined || hall === hallId;
}

export function createHallView(ctx: AppContext, hallId: string): View {
  const { live } = ctx;
  const requested = ctx.params.get('color');
  const title = h('h1', { class: 'view-title' }, `Hall ${hallId}`);
  const metricButtons = h('nav', { class: 'metric-buttons' });
  const legend = h('div', { class: 'legend' });
  const mapBox = h('div', { class: 'map-box' });
  const attention = createAttentionList(10);
  const agg = createAggregateTiles(['budget', 'pue', 'hashrate', 'j_per_th', 'gpu_util', 'gpus', 'worst_inlet', 'devices']);
  const alerts = createAlertList('Alerts', 5, (a) => alertConcernsHall(a, hallId, live.state));
  const el = h('div', { class: 'view hall-view' },
    h('div', { class: 'hall-main' }, h('div', { class: 'hall-head' }, title, metricButtons), mapBox, attention.el, legend),
    h('div', { class: 'hall-side' }, h('div', { class: 'tiles hall-tiles' }, ...Object.values(agg.tiles).map((t) => t.el)), alerts.el));

  let map: FloorMap | null = null;
  let metric: ColorMetric = isColorMetric(requested) ? requested : 'inlet';
  let layoutSeen: unknown = null;
  let budgetW: number | undefined;

  const drawLegend = (): void => {
    legend.replaceChildren(h('span', { class: 'legend-title' }, METRIC_TITLE[metric]),
      ...legendFor(metric).map((e) => h('span', { class: 'legend-item', 'data-level': e.level },
        h('span', { class: 'legend-swatch' }, LEVEL_SYMBOL[e.level] || ' '), e.label)));
    for (const b of Array.from(metricButtons.children)) {
      setAttr(b, 'aria-pressed', String(b.getAttribute('data-metric') === metric));
    }
  };

  for (const m of COLOR_METRICS) {
    const b = h('button', { type: 'button', 'data-metric': m }, METRIC_BUTTON[m]);
    b.addEventListener('click', () => ctx.navigate({ view: 'hall', hall: hallId, color: m }));
    metricButtons.append(b);
  }

  const build = (): void => {
    const layout = live.state.layout;
    if (!layout || layout === layoutSeen) return;
    layoutSeen = layout;
    map?.destroy();
    const hall = layout.halls.find((x) => x.id === hallId);
    if (!hall) {
      mapBox.replaceChildren(h('p', { class: 'empty' }, `No hall "${hallId}" on this site`));
      map = null;
      return;
    }
    if (!isColorMetric(requested)) metric = defaultMetricFor(hall);
    const offered = metricsFor(hall);
    for (const b of Array.from(metricButtons.children)) {
      const m = b.getAttribute('data-metric');
      // Still offered when the URL asked for it, so the pressed button is never the hidden one.
      (b as HTMLElement).hidden = !(offered as string[]).includes(m ?? '') && m !== metric;
    }
    setText(title, hallLabel(hall));
    // The hall's budget: the rated kW of its racks (nameplate; the figures judge each rack at 80 % of it).
    budgetW = hall.racks.reduce((sum, r) => sum + r.rated_kw, 0) * 1000;
    map = createFloorMap(hall, metric, (rack) => ctx.navigate({ view: 'rack', rack }));
    mapBox.replaceChildren(map.el);
    drawLegend();
  };

  const inHall = (r: { hall: string }): boolean => r.hall === hallId;
  drawLegend();
  return {
    el,
    update() {
      build();
      const st = live.state;
      map?.update(st.racks);
      agg.update(st.halls.get(hallId), [...st.racks.values()].filter(inHall), budgetW);
      attention.update(racksNeedingAttention(st.racks.values(), metric, inHall));
      alerts.update(st.alerts.values(), Date.now());
    },
    tick(now) {
      alerts.update(live.state.alerts.values(), now);
    },
    destroy() {
      map?.destroy();
    },
  };
}
