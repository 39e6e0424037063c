// The racks that need a look, named by id in large type: on a 600-rack map a cell is a few pixels wide and
// cannot carry its id at wall size, so the faulty ones are called out beside it, worst first.

import type { RackFigures } from '../../../server/core/types.js';
import { h, setAttr, setText } from '../dom.js';
import {
  LEVEL_SYMBOL, levelRank, rackLevel, rackValueText, worseLevel, worstMember, type ColorMetric, type Level,
} from '../levels.js';

export interface AttentionItem { id: string; level: Level; text: string }

/** Racks whose mean or worst member is warn or crit, worst first, then by id. Pure: tested without a browser. */
export function racksNeedingAttention(
  racks: Iterable<RackFigures>, metric: ColorMetric, inHall: (r: RackFigures) => boolean,
): AttentionItem[] {
  const out: AttentionItem[] = [];
  for (const r of racks) {
    // A rack curtailed on purpose is the banner's (its sleeping miners are not a fault); a fault of its PDU or
    // sensors still raises its own alert.
    if (!inHall(r) || r.curtailed) continue;
    const mean = rackLevel(metric, r);
    const m = worstMember(r);
    const level = m ? worseLevel(mean, m.level) : mean;
    if (level !== 'crit' && level !== 'warn') continue;
    const parts: string[] = [];
    if (mean === 'crit' || mean === 'warn') parts.push(rackValueText(metric, r));
    if (m) parts.push(m.text);
    out.push({ id: r.id, level, text: parts.join(' · ') });
  }
  return out.sort((a, b) => levelRank(a.level) - levelRank(b.level) || a.id.localeCompare(b.id));
}

export interface AttentionList {
  el: HTMLElement;
  update(items: readonly AttentionItem[]): void;
}

/** At most `max` chips (id large, reason beneath), then "+ N more": the list never grows past its box. */
export function createAttentionList(max: number, compact = false): AttentionList {
  const chips = h('div', { class: 'attention-chips' });
  const more = h('span', { class: 'attention-more' }, '');
  const el = h('div', { class: compact ? 'attention compact' : 'attention', 'data-attention-count': '0' }, chips, more);
  const rows: HTMLElement[] = [];
  return {
    el,
    update(items) {
      setAttr(el, 'data-attention-count', String(items.length));
      const shown = items.slice(0, max);
      while (rows.length < shown.length) {
        const chip = h('span', { class: 'attention-chip' },
          h('span', { class: 'attention-id' }), h('span', { class: 'attention-why' }));
        rows.push(chip);
        chips.append(chip);
      }
      while (rows.length > shown.length) rows.pop()!.remove();
      shown.forEach((it, i) => {
        const chip = rows[i];
        const [id, why] = Array.from(chip.children);
        setAttr(chip, 'data-level', it.level);
        setAttr(chip, 'data-rack', it.id);
        setText(id, `${LEVEL_SYMBOL[it.level]} ${it.id}`);
        setText(why, compact ? '' : it.text);
      });
      setText(more, items.length > max ? `+ ${items.length - max} more` : items.length === 0 ? 'all racks ok' : '');
    },
  };
}
