// The wall's pool panel (issue 19): each pool's health and the miners on it now, the expected pools first.
// A pool that is down is one loud line here (and one PoolDead in the alert list), whatever the number of
// miners it took with it. At most MAX_ROWS lines, then "+ N more": the panel never grows past its box.

import type { PoolFigures } from '../../../server/core/types.js';
import { h, setAttr, setText } from '../dom.js';
import { formatCount } from '../format.js';
import { LEVEL_SYMBOL, type Level } from '../levels.js';

const MAX_ROWS = 3;

/** A pool's level on the wall: down is crit; an unexpected pool with miners on it is warn. Pure. */
export function poolLevel(p: PoolFigures): Level {
  if (p.up === false) return 'crit';
  if (p.up === null) return 'unknown';
  return !p.expected && p.miners > 0 ? 'warn' : 'ok';
}

/** The line's words: "primary · 1,038 miners · 38 ms", "primary DOWN · 0 miners". Pure. */
export function poolLine(p: PoolFigures): string {
  const miners = `${formatCount(p.miners)} miner${p.miners === 1 ? '' : 's'}`;
  const parts = [p.up === false ? `${p.id} DOWN` : p.id, miners];
  if (p.up !== false && p.probe_latency_ms !== null) parts.push(`${Math.round(p.probe_latency_ms)} ms`);
  return parts.join(' · ');
}

export interface PoolsPanel {
  el: HTMLElement;
  update(pools: readonly PoolFigures[]): void;
}

export function createPoolsPanel(): PoolsPanel {
  const list = h('div', { class: 'pool-rows' });
  const more = h('span', { class: 'pool-more' }, '');
  const el = h('section', { class: 'panel pools', 'data-panel': 'pools' }, h('h2', {}, 'Pools'), list, more);
  const rows: HTMLElement[] = [];
  return {
    el,
    update(pools) {
      // Down first (what the room must see), then the expected ones in config order, then the rest.
      const shown = [...pools].sort((a, b) => Number(b.up === false) - Number(a.up === false)).slice(0, MAX_ROWS);
      while (rows.length < shown.length) {
        const row = h('div', { class: 'pool-row' });
        rows.push(row);
        list.append(row);
      }
      while (rows.length > shown.length) rows.pop()!.remove();
      shown.forEach((p, i) => {
        const level = poolLevel(p);
        setAttr(rows[i], 'data-level', level);
        setAttr(rows[i], 'data-pool', p.id);
        const sym = LEVEL_SYMBOL[level];
        setText(rows[i], sym === '' ? poolLine(p) : `${sym} ${poolLine(p)}`);
      });
      setText(more, pools.length > MAX_ROWS ? `+ ${pools.length - MAX_ROWS} more` : pools.length === 0 ? 'no pool reported' : '');
    },
  };
}
