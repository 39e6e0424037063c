// The curtailment banner (issue 16): while an event is active, a band the width of the screen under the
// header with what was asked, what is achieved, and the response clock (time since the start, until the
// reduction first reached 95 % of the target, then that response time). One line per active event.
// The text helpers are pure so they are tested without a browser.

import type { CurtailmentView, Layout, RackFigures } from '../../server/core/types.js';
import { h, setAttr, setText } from './dom.js';
import { formatPower, formatRatio } from './format.js';
import type { LiveState } from './live.js';

/** The banner shows this many events at most (more at once would be a different site). */
const MAX_SHOWN = 3;

export function scopeLabel(scope: string, layout: Layout | null): string {
  if (scope === 'site') return 'Whole site';
  if (scope.startsWith('hall:')) {
    const id = scope.slice(5);
    const hall = layout?.halls.find((x) => x.id === id);
    return hall && hall.name && hall.name !== id ? hall.name : `Hall ${id}`;
  }
  return scope.startsWith('rack:') ? `Rack ${scope.slice(5)}` : scope;
}

/** m:ss under an hour, h:mm:ss above: a clock that runs, read from across the room. */
export function clockText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export type BannerLevel = 'ok' | 'warn' | 'pending';

export interface BannerLine {
  scope: string;
  target: string;
  achieved: string;
  response: string;
  level: BannerLevel;
}

/**
 * One event's line at `now`: target and achieved in kW, the achieved share, and the response clock. 'ok' once
 * it responded and holds 90 % of the target, 'warn' when judged (past the ramp allowance) and below 90 %.
 */
export function bannerLine(c: CurtailmentView, layout: Layout | null, now: number): BannerLine {
  const f = c.figures;
  const ceiling = c.target_ceiling_kw !== null ? ` (to ${formatPower(c.target_ceiling_kw * 1000)})` : '';
  const share = f.ratio === null ? '' : ` · ${formatRatio(f.ratio)}`;
  const response = f.response_s !== null
    ? `responded in ${clockText(f.response_s * 1000)}`
    : `response clock ${clockText(now - c.start)}`;
  const short = c.judged && f.ratio !== null && f.ratio < 0.9;
  return {
    scope: `${scopeLabel(c.scope, layout)}${c.program ? ` · ${c.program}` : ''}`,
    target: `target ${formatPower(f.target_w)}${ceiling}`,
    achieved: `achieved ${formatPower(f.achieved_w)}${share}`,
    response,
    level: short ? 'warn' : f.response_s !== null && f.ratio !== null && f.ratio >= 0.9 ? 'ok' : 'pending',
  };
}

export function activeCurtailments(state: LiveState): CurtailmentView[] {
  return state.curtailments.filter((c) => c.figures.phase === 'active').slice(0, MAX_SHOWN);
}

/** The rack's member line on the floor map while it is curtailed: what it is, not a fault count. */
export function curtailedMember(r: RackFigures): string | null {
  return r.curtailed ? '⏻ curtailed' : null;
}

export interface CurtailmentBanner {
  el: HTMLElement;
  update(state: LiveState, now: number): void;
}

export function createCurtailmentBanner(): CurtailmentBanner {
  const el = h('div', { id: 'curtailment-banner', role: 'status', hidden: '' });
  const rows: { row: HTMLElement; scope: HTMLElement; target: HTMLElement; achieved: HTMLElement; response: HTMLElement }[] = [];
  return {
    el,
    update(state, now) {
      const active = activeCurtailments(state);
      while (rows.length < active.length) {
        const scope = h('span', { class: 'curtail-scope' });
        const target = h('span', { class: 'curtail-target', 'data-curtail': 'target' });
        const achieved = h('span', { class: 'curtail-achieved', 'data-curtail': 'achieved' });
        const response = h('span', { class: 'curtail-response', 'data-curtail': 'response' });
        const row = h('div', { class: 'curtail-row' }, h('span', { class: 'curtail-title' }, '⚡ CURTAILMENT'), scope, target, achieved, response);
        rows.push({ row, scope, target, achieved, response });
      }
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        const c = active[i];
        if (!c) {
          r.row.remove();
          continue;
        }
        const line = bannerLine(c, state.layout, now);
        setText(r.scope, line.scope);
        setText(r.target, line.target);
        setText(r.achieved, line.achieved);
        setText(r.response, line.response);
        setAttr(r.row, 'data-level', line.level);
        setAttr(r.row, 'data-event', c.id);
        if (r.row.parentNode !== el) el.append(r.row);
      }
      if (el.hidden !== (active.length === 0)) el.hidden = active.length === 0;
      document.body.classList.toggle('curtailing', active.length > 0);
    },
  };
}
