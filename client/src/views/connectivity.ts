// The wall's connectivity panel (issue 19): each WAN link up or down with its throughput against capacity,
// each UPS on mains or on battery with its charge; and, when every link is down at once, one loud line
// across the page instead of a wall of per-device faults. The pool section (issue 19's other half) sits
// beside these rows in the same panel. The row texts are pure functions, tested without a browser.

import type { ConnectivityFigures, LinkFigures, UpsFigures } from '../../../server/core/types.js';
import { UPLINK_LOSS_HIGH_PCT, UPLINK_UTILISATION_WARN_RATIO, UPS_BATTERY_LOW_PCT } from '../../../server/figures/bands.js';
import { h, setAttr, setText } from '../dom.js';
import { formatBits, formatDuration, formatPct } from '../format.js';
import { LEVEL_SYMBOL, type Level } from '../levels.js';

export interface ConnRow { key: string; name: string; text: string; level: Level }

export function linkRow(l: LinkFigures): ConnRow {
  if (l.up === null) return { key: `link:${l.id}`, name: l.id, text: 'no data', level: 'unknown' };
  if (!l.up) return { key: `link:${l.id}`, name: l.id, text: `DOWN · ${l.reason ?? 'down'}`, level: 'crit' };
  const busiest = l.rx_bps === null && l.tx_bps === null ? null : Math.max(l.rx_bps ?? 0, l.tx_bps ?? 0);
  const parts = [busiest === null ? 'up' : `${formatBits(busiest)} of ${formatBits(l.capacity_bps)}`];
  if (l.loss_pct !== null && l.loss_pct > 0) parts.push(`${formatPct(l.loss_pct)} loss`);
  const lossy = l.loss_pct !== null && l.loss_pct > UPLINK_LOSS_HIGH_PCT;
  const busy = l.utilisation !== null && l.utilisation > UPLINK_UTILISATION_WARN_RATIO;
  return { key: `link:${l.id}`, name: l.id, text: parts.join(' · '), level: lossy ? 'crit' : busy ? 'warn' : 'ok' };
}

export function upsRow(u: UpsFigures): ConnRow {
  if (!u.answering) return { key: `ups:${u.id}`, name: u.id, text: 'not answering', level: 'unknown' };
  const charge = u.battery_charge_pct;
  const low = charge !== null && charge < UPS_BATTERY_LOW_PCT;
  const parts = [u.on_battery === true ? 'ON BATTERY' : u.on_battery === false ? 'on mains' : 'source ?'];
  if (charge !== null) parts.push(formatPct(charge));
  if (u.on_battery === true && u.battery_runtime_s !== null) parts.push(`${formatDuration(u.battery_runtime_s * 1000)} left`);
  return { key: `ups:${u.id}`, name: u.id, text: parts.join(' · '), level: u.on_battery === true || low ? 'crit' : 'ok' };
}

/** The rows of the panel, links first. */
export function connectivityRows(c: ConnectivityFigures | undefined): ConnRow[] {
  return c === undefined ? [] : [...c.links.map(linkRow), ...c.ups.map(upsRow)];
}

export interface ConnectivityPanel {
  /** the panel, for the site view's side column; hidden on a site without links or UPSes */
  el: HTMLElement;
  /** the site-wide line, shown only when every link is down */
  banner: HTMLElement;
  update(c: ConnectivityFigures | undefined): void;
}

export function createConnectivityPanel(): ConnectivityPanel {
  const list = h('div', { class: 'conn-rows' });
  const el = h('section', { class: 'panel connectivity', 'data-connectivity': '', hidden: '' }, h('h2', {}, 'Uplinks · UPS'), list);
  const bannerText = h('span', { class: 'uplinks-down-text' }, '');
  const banner = h('div', { class: 'uplinks-down', role: 'alert', 'data-uplinks-down': '', hidden: '' }, bannerText);
  const rows = new Map<string, { row: HTMLElement; name: HTMLElement; text: HTMLElement }>();
  return {
    el, banner,
    update(c) {
      const items = connectivityRows(c);
      if (el.hidden !== (items.length === 0)) el.hidden = items.length === 0;
      const seen = new Set<string>();
      for (const it of items) {
        seen.add(it.key);
        let r = rows.get(it.key);
        if (r === undefined) {
          const name = h('span', { class: 'conn-name' });
          const text = h('span', { class: 'conn-text' });
          r = { row: h('div', { class: 'conn-row', 'data-conn': it.key }, name, text), name, text };
          rows.set(it.key, r);
          list.append(r.row);
        }
        setAttr(r.row, 'data-level', it.level);
        setText(r.name, `${LEVEL_SYMBOL[it.level]} ${it.name}`.trim());
        setText(r.text, it.text);
      }
      for (const [k, r] of rows) {
        if (seen.has(k)) continue;
        r.row.remove();
        rows.delete(k);
      }
      const allDown = c?.all_links_down === true;
      if (banner.hidden === allDown) banner.hidden = !allDown;
      if (allDown) setText(bannerText, `✖ ALL ${c.links.length} UPLINKS DOWN: the site is offline`);
    },
  };
}
