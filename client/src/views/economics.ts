// The economics page of the wall (issue 16): what a megawatt earns mined against leased to AI, the energy
// price with its age (a stale price says STALE, in the crit colour, and is not swapped for a fallback),
// the margin now and today, and each hall's power against its cap as a bar. Figures from the server
// (server/figures/economics*.ts, power-budget.ts): the wall computes nothing but formatting.

import type { HallFigures, PowerBudgetFigures } from '../../../server/core/types.js';
import { createTrendChart, type TrendChart } from '../charts.js';
import type { AppContext } from '../context.js';
import { h, setAttr, setText, tile, type View } from '../dom.js';
import { formatPower, formatRatio } from '../format.js';
import type { Level } from '../levels.js';
import { formatUsd, formatUsdPerH, formatUsdPerMwh, priceSourceText } from '../money.js';
import { SERIES_COLORS } from './site.js';

/** A cap bar's level: over 90 % of the cap is worth a look, at or over the cap is a breach. */
function capLevel(b: PowerBudgetFigures | undefined): Level {
  if (b?.cap_ratio == null) return 'unknown';
  return b.cap_ratio >= 1 ? 'crit' : b.cap_ratio >= 0.9 ? 'warn' : 'ok';
}

const signLevel = (v: number | null | undefined): Level => (v == null ? 'unknown' : v < 0 ? 'crit' : 'ok');

interface CapBar {
  el: HTMLElement;
  set(name: string, b: PowerBudgetFigures | undefined): void;
}

function capBar(id: string): CapBar {
  const label = h('div', { class: 'cap-label' }, id);
  const fill = h('div', { class: 'cap-fill' });
  const text = h('div', { class: 'cap-text' }, '—');
  const el = h('div', { class: 'cap-row', 'data-cap': id, 'data-level': 'unknown' }, label, h('div', { class: 'cap-track' }, fill), text);
  return {
    el,
    set(name, b) {
      setText(label, name);
      const ratio = b?.cap_ratio ?? null;
      fill.style.width = `${Math.max(0, Math.min(1, ratio ?? 0)) * 100}%`;
      setAttr(el, 'data-level', capLevel(b));
      setText(text, b?.cap_w == null ? `${formatPower(b?.load_w)} · no cap set`
        : `${formatPower(b.load_w)} of ${formatPower(b.cap_w)} · ${formatRatio(ratio)}${b.load_basis === 'it' ? ' (IT)' : ''}`);
    },
  };
}

export function createEconomicsView(ctx: AppContext): View {
  const { live, trends } = ctx;
  const mining = tile('mining_per_mwh', 'Mining $/MWh');
  const ai = tile('ai_per_mwh', 'AI $/MWh');
  const price = tile('energy_price', 'Energy price');
  const today = tile('margin_today', 'Margin today');
  const now = tile('margin_now', 'Margin now');
  const flex = tile('curtailable', 'Curtailable now');
  const tilesEl = h('div', { class: 'tiles econ-tiles' }, mining.el, ai.el, price.el, today.el, now.el, flex.el);
  const hallsEl = h('div', { class: 'econ-halls' });
  const capsEl = h('div', { class: 'cap-bars' });
  const canvas = h('canvas');
  const chartEl = h('section', { class: 'panel chart', 'data-chart': 'price' },
    h('h2', {}, 'Energy price and mining break-even, last hour'), h('div', { class: 'chart-box' }, canvas));
  const el = h('div', { class: 'view economics-view' }, tilesEl,
    h('section', { class: 'panel econ-caps' }, h('h2', {}, 'Power against cap'), capsEl),
    h('div', { class: 'econ-bottom' }, hallsEl, chartEl));
  let chart: TrendChart | null = null;
  // The chart sizes its canvas from its laid-out box: created once the view is in the document.
  const raf = requestAnimationFrame(() => {
    chart = createTrendChart(canvas, [
      { label: 'Energy price', buffer: trends.energy_price_usd_per_mwh, color: SERIES_COLORS.orange },
      { label: 'Mining break-even', buffer: trends.mining_breakeven_usd_per_mwh, color: SERIES_COLORS.green },
    ], { unit: 'usd_per_mwh' });
  });

  const siteBar = capBar('site');
  capsEl.append(siteBar.el);
  const bars = new Map<string, CapBar>();
  const hallRows = new Map<string, { el: HTMLElement; cells: HTMLElement[] }>();
  const hallRow = (hl: HallFigures) => {
    let row = hallRows.get(hl.id);
    if (row === undefined) {
      const cells = [0, 1, 2, 3].map(() => h('div', { class: 'econ-cell' }));
      row = { el: h('section', { class: 'panel econ-hall', 'data-hall': hl.id }, h('h2', {}, hl.name), ...cells), cells };
      hallRows.set(hl.id, row);
      hallsEl.append(row.el);
    }
    return row;
  };

  const update = (): void => {
    const st = live.state;
    const e = st.site?.economics;
    const b = st.site?.power_budget;
    if (e) {
      mining.set(formatUsdPerMwh(e.mining_revenue_usd_per_mwh),
        `margin ${formatUsdPerMwh(e.mining_margin_usd_per_mwh)} · break-even ${formatUsdPerMwh(e.mining_breakeven_usd_per_mwh)}`,
        e.mining_revenue_usd_per_mwh == null ? 'unknown' : signLevel(e.mining_margin_usd_per_mwh));
      ai.set(formatUsdPerMwh(e.ai_revenue_usd_per_mwh), `margin ${formatUsdPerMwh(e.ai_margin_usd_per_mwh)}`,
        e.ai_revenue_usd_per_mwh == null ? 'unknown' : signLevel(e.ai_margin_usd_per_mwh));
      // Stale is crit: the number shown is a price that may no longer hold. Above mining's break-even is warn.
      const above = e.energy_price_usd_per_mwh != null && e.mining_breakeven_usd_per_mwh != null && e.energy_price_usd_per_mwh > e.mining_breakeven_usd_per_mwh;
      price.set(formatUsdPerMwh(e.energy_price_usd_per_mwh), priceSourceText(e),
        e.energy_price_usd_per_mwh == null ? 'unknown' : e.energy_stale ? 'crit' : above ? 'warn' : 'ok');
      setAttr(price.el, 'data-stale', String(e.energy_stale));
      today.set(formatUsd(e.today.margin_usd), `revenue ${formatUsd(e.today.mining_revenue_usd + e.today.ai_revenue_usd)} · energy ${formatUsd(e.today.energy_cost_usd)}`,
        signLevel(e.today.margin_usd));
      now.set(formatUsdPerH(e.margin_usd_per_h), `revenue ${formatUsdPerH(e.revenue_usd_per_h)} · energy ${formatUsdPerH(e.energy_cost_usd_per_h)}`,
        signLevel(e.margin_usd_per_h));
    }
    flex.set(formatPower(b?.curtailable_now_w), `flexible ${formatPower(b?.flexible_w)} · firm ${formatPower(b?.firm_w)}`,
      b?.curtailable_now_w == null ? 'unknown' : 'ok');
    siteBar.set('Site', b);
    for (const hl of st.halls.values()) {
      let bar = bars.get(hl.id);
      if (bar === undefined) {
        bar = capBar(hl.id);
        bars.set(hl.id, bar);
        capsEl.append(bar.el);
      }
      bar.set(hl.name, hl.power_budget);
      const he = hl.economics;
      const [c0, c1, c2, c3] = hallRow(hl).cells;
      setText(c0, `mining ${formatUsdPerH(he?.mining_revenue_usd_per_h)} · AI ${formatUsdPerH(he?.ai_revenue_usd_per_h)}`);
      setText(c1, `energy ${formatUsdPerH(he?.energy_cost_usd_per_h)} at ${formatUsdPerMwh(he?.energy_price_usd_per_mwh)}`);
      setText(c2, `margin ${formatUsdPerH(he?.margin_usd_per_h)} · today ${formatUsd(he?.today.margin_usd)}`);
      setAttr(c2, 'data-level', signLevel(he?.margin_usd_per_h));
      setText(c3, `firm ${formatPower(hl.power_budget?.firm_w)} · flexible ${formatPower(hl.power_budget?.flexible_w)}`);
    }
  };

  return {
    el,
    update,
    tick() {
      chart?.refresh();
    },
    destroy() {
      cancelAnimationFrame(raf);
      chart?.destroy();
      chart = null;
    },
  };
}
