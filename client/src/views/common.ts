// Pieces more than one view shows: the alert list and the tiles of an aggregate (site or hall).

import type { AggregateFigures, AlertView } from '../../../server/core/types.js';
import { h, setAttr, setText, tile, type Tile } from '../dom.js';
import {
  formatCount, formatDuration, formatHashrate, formatJth, formatPct, formatPower, formatPue, formatRatio,
  formatTemp, formatMetric,
} from '../format.js';
import { hashrateLevel, inletLevel, type Level } from '../levels.js';
import { firingAlertsWorstFirst } from '../live.js';

export interface AlertList {
  el: HTMLElement;
  update(alerts: Iterable<AlertView>, now: number): void;
}

const SEVERITY_SYMBOL = { critical: '✖', warning: '▲', info: 'ℹ' } as const;

function scopeLabel(scope: string): string {
  const i = scope.indexOf(':');
  return i < 0 ? scope : `${scope.slice(0, i)} ${scope.slice(i + 1)}`;
}

/** Firing alerts, worst first, with how long each has fired; keeps at most `max` rows, says how many more. */
export function createAlertList(title: string, max: number, filter?: (a: AlertView) => boolean): AlertList {
  const count = h('span', { class: 'alerts-count' }, '0');
  const list = h('ol', { class: 'alerts-list' });
  const more = h('div', { class: 'alerts-more' }, '');
  const el = h('section', { class: 'panel alerts', 'data-alerts-count': '0' },
    h('h2', {}, title, ' ', count), list, more);
  const rows: HTMLLIElement[] = [];
  return {
    el,
    update(alerts, now) {
      const all = firingAlertsWorstFirst(alerts).filter((a) => !filter || filter(a));
      setAttr(el, 'data-alerts-count', String(all.length));
      setText(count, String(all.length));
      const shown = all.slice(0, max);
      while (rows.length < shown.length) {
        const li = h('li', { class: 'alert' },
          h('span', { class: 'alert-sym' }), h('span', { class: 'alert-text' }),
          h('span', { class: 'alert-scope' }), h('span', { class: 'alert-for' }));
        rows.push(li);
        list.append(li);
      }
      while (rows.length > shown.length) rows.pop()!.remove();
      shown.forEach((a, i) => {
        const li = rows[i];
        const [sym, text, scope, dur] = Array.from(li.children);
        setAttr(li, 'data-severity', a.severity);
        setAttr(li, 'data-alert', a.key);
        setText(sym, SEVERITY_SYMBOL[a.severity]);
        const value = a.value == null ? '' : ` (${formatAlertValue(a)})`;
        setText(text, `${a.summary || a.alertname}${value}`);
        setText(scope, scopeLabel(a.scope));
        setText(dur, formatDuration(now - (a.fired_at ?? a.since)));
      });
      setText(more, all.length > max ? `+ ${all.length - max} more` : all.length === 0 ? 'No alerts firing' : '');
    },
  };
}

/** Alert values carry no unit of their own: guess it from the rule's name, else print the bare number. */
function formatAlertValue(a: AlertView): string {
  const name = a.alertname.toLowerCase();
  if (a.value == null) return '';
  if (name.includes('inlet') || name.includes('temp')) return formatTemp(a.value);
  if (name.includes('pue')) return formatPue(a.value);
  if (name.includes('power')) return formatPower(a.value);
  // Hashrate rules compare a ratio to nominal (≤ 1.5) or an absolute TH/s figure.
  if (name.includes('hash')) return a.value <= 1.5 ? formatRatio(a.value) : formatHashrate(a.value);
  return formatMetric('', a.value);
}

export interface AggregateTiles {
  tiles: Record<string, Tile>;
  update(f: AggregateFigures | null | undefined): void;
}

export type AggregateTileName =
  | 'it_power' | 'facility_power' | 'pue' | 'pue_24h' | 'hashrate' | 'j_per_th' | 'gpu_util' | 'gpus'
  | 'worst_inlet' | 'devices';

const TILE_LABELS: Record<AggregateTileName, string> = {
  it_power: 'IT power',
  facility_power: 'Facility power',
  pue: 'PUE now',
  pue_24h: 'PUE 24 h',
  hashrate: 'Hashrate',
  j_per_th: 'Fleet efficiency',
  gpu_util: 'GPU utilisation',
  gpus: 'GPUs busy',
  worst_inlet: 'Worst inlet',
  devices: 'Devices up',
};

function healthLevel(f: AggregateFigures): Level {
  const total = f.health.up + f.health.degraded + f.health.down;
  if (total === 0) return 'unknown';
  if (f.health.down / total > 0.05) return 'crit';
  if (f.health.down > 0 || f.health.degraded > 0) return 'warn';
  return 'ok';
}

export function createAggregateTiles(names: readonly AggregateTileName[], labelPrefix = ''): AggregateTiles {
  const tiles: Record<string, Tile> = {};
  for (const n of names) tiles[n] = tile(n, `${labelPrefix}${TILE_LABELS[n]}`);
  const set = (n: AggregateTileName, v: string, sub: string, level: Level): void => tiles[n]?.set(v, sub, level);
  return {
    tiles,
    update(f) {
      if (!f) return;
      const lvl = (v: unknown): Level => (v == null ? 'unknown' : 'ok');
      // While some racks are not current the IT sum misses their load: say so rather than show a drop.
      set('it_power', formatPower(f.it_power_w), f.it_power_complete === false ? 'partial: some racks not current' : 'servers, miners, GPUs',
        f.it_power_complete === false && f.it_power_w != null ? 'warn' : lvl(f.it_power_w));
      set('facility_power', formatPower(f.facility_power_w), 'incl. cooling and losses', lvl(f.facility_power_w));
      set('pue', formatPue(f.pue), f.pue == null && f.pue_unknown_reason ? `unknown: ${f.pue_unknown_reason}` : 'facility ÷ IT', lvl(f.pue));
      set('pue_24h', formatPue(f.pue_24h), 'energy over 24 h', lvl(f.pue_24h));
      const hashLevel: Level = f.hashrate_ratio == null ? lvl(f.hashrate_ths) : hashrateLevel(f.hashrate_ratio);
      set('hashrate', formatHashrate(f.hashrate_ths),
        `${formatRatio(f.hashrate_ratio)} nominal · ${formatCount(f.miners_hashing)}/${formatCount(f.miners_total)} up`,
        hashLevel);
      set('j_per_th', formatJth(f.j_per_th), 'W ÷ TH/s of hashing miners', lvl(f.j_per_th));
      set('gpu_util', formatPct(f.gpu_util_pct), `${formatCount(f.gpus_busy)} busy · ${formatCount(f.gpus_idle)} idle`,
        lvl(f.gpu_util_pct));
      set('gpus', `${formatCount(f.gpus_busy)} / ${formatCount(f.gpus_total)}`,
        `${formatCount(f.gpus_idle)} idle · ${formatPower(f.w_per_gpu)} per GPU`,
        f.gpus_total === 0 ? 'unknown' : f.gpus_idle > f.gpus_busy ? 'warn' : 'ok');
      set('worst_inlet', formatTemp(f.worst_inlet_c), 'ASHRAE 18–27 °C', inletLevel(null, f.worst_inlet_c));
      set('devices', formatCount(f.health.up),
        `${formatCount(f.health.degraded)} degraded · ${formatCount(f.health.down)} down`, healthLevel(f));
    },
  };
}
