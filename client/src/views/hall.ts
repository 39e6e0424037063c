// One hall on the wall: the floor map coloured by the chosen metric, its legend with units, the hall's
// figures and the alerts of its racks.

import type { AppContext } from '../context.js';
import { h, setAttr, setText, type View } from '../dom.js';
import {
  COLOR_METRICS, LEVEL_SYMBOL, METRIC_TITLE, isColorMetric, legendFor, type ColorMetric,
} from '../levels.js';
import { createAggregateTiles, createAlertList } from './common.js';
import { createFloorMap, defaultMetricFor, hallLabel, type FloorMap } from './floormap.js';

export function createHallView(ctx: AppContext, hallId: string): View {
  const { live } = ctx;
  const requested = ctx.params.get('color');
  const title = h('h1', { class: 'view-title' }, `Hall ${hallId}`);
  const metricButtons = h('nav', { class: 'metric-buttons' });
  const legend = h('div', { class: 'legend' });
  const mapBox = h('div', { class: 'map-box' });
  const agg = createAggregateTiles(['it_power', 'pue', 'hashrate', 'gpu_util', 'worst_inlet', 'devices']);
  const rackInHall = (scope: string): boolean => {
    if (scope === `hall:${hallId}`) return true;
    if (!scope.startsWith('rack:')) return false;
    return live.state.racks.get(scope.slice(5))?.hall === hallId;
  };
  const alerts = createAlertList('Hall alerts', 5, (a) => rackInHall(a.scope));
  const el = h('div', { class: 'view hall-view' },
    h('div', { class: 'hall-main' }, h('div', { class: 'hall-head' }, title, metricButtons), mapBox, legend),
    h('div', { class: 'hall-side' }, h('div', { class: 'tiles hall-tiles' }, ...Object.values(agg.tiles).map((t) => t.el)), alerts.el));

  let map: FloorMap | null = null;
  let metric: ColorMetric = isColorMetric(requested) ? requested : 'inlet';
  let layoutSeen: unknown = null;

  const drawLegend = (): void => {
    legend.replaceChildren(h('span', { class: 'legend-title' }, METRIC_TITLE[metric]),
      ...legendFor(metric).map((e) => h('span', { class: 'legend-item', 'data-level': e.level },
        h('span', { class: 'legend-swatch' }, LEVEL_SYMBOL[e.level] || ' '), e.label)));
    for (const b of Array.from(metricButtons.children)) {
      setAttr(b, 'aria-pressed', String(b.getAttribute('data-metric') === metric));
    }
  };

  for (const m of COLOR_METRICS) {
    const b = h('button', { type: 'button', 'data-metric': m }, METRIC_TITLE[m]);
    b.addEventListener('click', () => ctx.navigate({ view: 'hall', hall: hallId, color: m }));
    metricButtons.append(b);
  }

  const build = (): void => {
    const layout = live.state.layout;
    if (!layout || layout === layoutSeen) return;
    layoutSeen = layout;
    const hall = layout.halls.find((x) => x.id === hallId);
    if (!hall) {
      mapBox.replaceChildren(h('p', { class: 'empty' }, `No hall "${hallId}" on this site`));
      map = null;
      return;
    }
    if (!isColorMetric(requested)) metric = defaultMetricFor(hall);
    setText(title, hallLabel(hall));
    map = createFloorMap(hall, metric, (rack) => ctx.navigate({ view: 'rack', rack }));
    mapBox.replaceChildren(map.el);
    drawLegend();
  };

  drawLegend();
  return {
    el,
    update() {
      build();
      map?.update(live.state.racks);
      agg.update(live.state.halls.get(hallId));
      alerts.update(live.state.alerts.values(), Date.now());
    },
    tick(now) {
      alerts.update(live.state.alerts.values(), now);
    },
    destroy() {},
  };
}
