// Pieces more than one view shows: the alert list and the tiles of an aggregate (site or hall).

import type { AggregateFigures, AlertView, RackFigures } from '../../../server/core/types.js';
import { ASHRAE_RECOMMENDED_MAX_C, ASHRAE_RECOMMENDED_MIN_C } from '../../../server/figures/bands.js';
import { h, setAttr, setText, tile, type Tile } from '../dom.js';
import {
  formatCount, formatDuration, formatHashrate, formatJth, formatPct, formatPower, formatPue, formatRatio,
  formatTemp,
} from '../format.js';
import { hashrateLevel, inletLevel, powerLevel, worseLevel, type Level } from '../levels.js';
import { firingAlertsWorstFirst } from '../live.js';

export interface AlertList {
  el: HTMLElement;
  update(alerts: Iterable<AlertView>, now: number): void;
}

const SEVERITY_SYMBOL = { critical: '✖', warning: '▲', info: 'ℹ' } as const;

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
        // No scope column: every summary names its device, rack or loop, and the row needs the width.
        const li = h('li', { class: 'alert' },
          h('span', { class: 'alert-sym' }), h('span', { class: 'alert-text' }), h('span', { class: 'alert-for' }));
        rows.push(li);
        list.append(li);
      }
      while (rows.length > shown.length) rows.pop()!.remove();
      shown.forEach((a, i) => {
        const li = rows[i];
        const [sym, text, dur] = Array.from(li.children);
        setAttr(li, 'data-severity', a.severity);
        setAttr(li, 'data-alert', a.key);
        setAttr(li, 'data-scope', a.scope);
        setText(sym, SEVERITY_SYMBOL[a.severity]);
        // The summary carries the value in its own unit, rendered by the rule ("rack M-01 drawing 81 % of
        // rated power"); the bare value beside it was a guess at its unit from the name ("(1 W)" for 0.81).
        setText(text, a.summary || `${a.alertname} (${a.scope})`);
        setText(dur, formatDuration(now - (a.fired_at ?? a.since)));
      });
      setText(more, all.length > max ? `+ ${all.length - max} more` : all.length === 0 ? 'No alerts firing' : '');
    },
  };
}

export interface AggregateTiles {
  tiles: Record<string, Tile>;
  /**
   * racks: those of the scope, to name the worst inlet's rack; budgetW: the scope's power budget (the
   * rated kW of its racks) for the 'budget' tile.
   */
  update(f: AggregateFigures | null | undefined, racks?: Iterable<RackFigures>, budgetW?: number): void;
}

export type AggregateTileName =
  | 'it_power' | 'facility_power' | 'pue' | 'pue_24h' | 'hashrate' | 'j_per_th' | 'gpu_util' | 'gpus'
  | 'worst_inlet' | 'devices' | 'budget';

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
  budget: 'IT power',
};

/** Tiles that only mean something where the scope holds miners, or GPUs: hidden elsewhere. */
const MINER_TILES: ReadonlySet<AggregateTileName> = new Set(['hashrate', 'j_per_th']);
const GPU_TILES: ReadonlySet<AggregateTileName> = new Set(['gpu_util', 'gpus']);

/** The rack with the warmest inlet, to name it beside the figure. */
function warmestRack(racks: Iterable<RackFigures>): RackFigures | null {
  let worst: RackFigures | null = null;
  for (const r of racks) {
    if (r.inlet_temp_c == null) continue;
    if (!worst || (worst.inlet_temp_c ?? -Infinity) < r.inlet_temp_c) worst = r;
  }
  return worst;
}

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
    update(f, racks, budgetW) {
      if (!f) return;
      for (const n of names) {
        const hide = (MINER_TILES.has(n) && f.miners_total === 0) || (GPU_TILES.has(n) && f.gpus_total === 0);
        if (tiles[n].el.hidden !== hide) tiles[n].el.hidden = hide;
      }
      const lvl = (v: unknown): Level => (v == null ? 'unknown' : 'ok');
      // While some racks are not current the IT sum misses their load: say so rather than show a drop.
      set('it_power', formatPower(f.it_power_w), f.it_power_complete === false ? 'partial: racks missing' : 'servers, miners, GPUs',
        f.it_power_complete === false && f.it_power_w != null ? 'warn' : lvl(f.it_power_w));
      set('facility_power', formatPower(f.facility_power_w), 'incl. cooling and losses', lvl(f.facility_power_w));
      set('pue', formatPue(f.pue), f.pue == null && f.pue_unknown_reason ? `unknown: ${f.pue_unknown_reason.split(';')[0]}` : 'facility ÷ IT', lvl(f.pue));
      set('pue_24h', formatPue(f.pue_24h), 'energy over 24 h', lvl(f.pue_24h));
      const hashLevel: Level = f.hashrate_ratio == null ? lvl(f.hashrate_ths) : hashrateLevel(f.hashrate_ratio);
      set('hashrate', formatHashrate(f.hashrate_ths),
        `${formatRatio(f.hashrate_ratio)} of nominal · ${formatCount(f.miners_total - f.miners_hashing)} not hashing`,
        hashLevel);
      set('j_per_th', formatJth(f.j_per_th), 'W ÷ TH/s, hashing miners', lvl(f.j_per_th));
      set('gpu_util', formatPct(f.gpu_util_pct), `${formatCount(f.gpus_idle)} GPUs idle`, lvl(f.gpu_util_pct));
      // The busy count alone is the headline: "1,248 / 1,280" does not fit a tile at wall size.
      set('gpus', formatCount(f.gpus_busy),
        `of ${formatCount(f.gpus_total)} · ${formatPower(f.w_per_gpu)} per GPU`,
        f.gpus_total === 0 ? 'unknown' : f.gpus_idle > f.gpus_busy ? 'warn' : 'ok');
      const warm = racks ? warmestRack(racks) : null;
      const band = `ASHRAE ${ASHRAE_RECOMMENDED_MIN_C}–${ASHRAE_RECOMMENDED_MAX_C} °C`;
      set('worst_inlet', formatTemp(f.worst_inlet_c), warm ? `rack ${warm.id} · ${band}` : band, inletLevel(null, f.worst_inlet_c));
      if (budgetW !== undefined) {
        const ratio = f.it_power_w == null || budgetW <= 0 ? null : f.it_power_w / budgetW;
        set('budget', formatPower(f.it_power_w), `${formatRatio(ratio)} of ${formatPower(budgetW)} rated`,
          f.it_power_complete === false && ratio !== null ? worseLevel(powerLevel(ratio), 'warn') : powerLevel(ratio));
      }
      set('devices', formatCount(f.health.up),
        `${formatCount(f.health.degraded)} degraded · ${formatCount(f.health.down)} down`, healthLevel(f));
    },
  };
}
