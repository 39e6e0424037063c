// The wall display's shell: header with clock and data age, the view the URL names, the DATA STALE banner.
// URL parameters are the whole state, so a kiosk's start URL fully describes what it shows.

import './styles.css';
import type { AppContext } from './context.js';
import { h, setAttr, setText, type View } from './dom.js';
import { formatClock, formatDuration } from './format.js';
import { connectLive, dataAge, dataAgeLimits, freshness, staleness } from './live.js';
import { createSiteTrends, prefillSiteTrends, recordSite } from './trends.js';
import { createDeviceView } from './views/device.js';
import { createEconomicsView } from './views/economics.js';
import { createHallView } from './views/hall.js';
import { createRackView } from './views/rack.js';
import { createSiteView } from './views/site.js';
import { hallLabel } from './views/floormap.js';
import { createCurtailmentBanner } from './curtailment.js';

const live = connectLive('/live');
const trends = createSiteTrends();

const siteName = h('span', { class: 'site-name' }, 'Floorwatch');
const nav = h('nav', { class: 'views-nav' });
const clock = h('span', { class: 'clock', 'data-clock': '' }, '');
const age = h('span', { class: 'age', 'data-age': '', 'data-fresh': 'stale' }, '');
const conn = h('span', { class: 'conn', 'data-conn': 'down' }, '●');
const header = h('header', { class: 'top' },
  h('div', { class: 'brand' }, h('span', { class: 'logo' }, 'FLOORWATCH'), siteName), nav,
  h('div', { class: 'status' }, conn, age, clock));
const main = h('main', { class: 'main' });
const staleReason = h('div', { class: 'stale-reason' }, '');
const staleBanner = h('div', { id: 'stale-banner', role: 'alert', hidden: '' },
  h('div', { class: 'stale-title' }, '⚠ DATA STALE'), staleReason);
const curtailment = createCurtailmentBanner();
document.getElementById('app')!.replaceChildren(header, curtailment.el, main, staleBanner);

let view: View | null = null;
let rotateTimer: number | null = null;
let navBuiltFor: unknown = null;

function params(): URLSearchParams {
  return new URLSearchParams(location.search);
}

function navigate(next: Record<string, string>, replace = false): void {
  const url = `?${new URLSearchParams(next).toString()}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  mount();
}

function ctx(): AppContext {
  return { live, trends, params: params(), navigate: (p) => navigate(p) };
}

function firstHall(): string | null {
  return live.state.layout?.halls[0]?.id ?? null;
}

function mount(): void {
  view?.destroy();
  view = null;
  const p = params();
  const kind = p.get('view') ?? 'site';
  const c = ctx();
  if (kind === 'hall') {
    const hall = p.get('hall') ?? firstHall();
    if (hall) view = createHallView(c, hall);
  } else if (kind === 'rack' && p.get('rack')) {
    view = createRackView(c, p.get('rack')!);
  } else if (kind === 'device' && p.get('device')) {
    view = createDeviceView(c, p.get('device')!);
  } else if (kind === 'economics') {
    view = createEconomicsView(c);
  } else {
    view = createSiteView(c);
  }
  setAttr(document.body, 'data-view', view ? kind : 'waiting');
  main.replaceChildren(view ? view.el : h('p', { class: 'empty' }, 'Waiting for the site layout…'));
  view?.update();
  buildNav();
  scheduleRotate();
}

/** rotate=N: hall view cycles the halls every N s; the site view cycles site, then each hall. */
function scheduleRotate(): void {
  if (rotateTimer != null) window.clearTimeout(rotateTimer);
  rotateTimer = null;
  const p = params();
  const seconds = Number(p.get('rotate'));
  const layout = live.state.layout;
  if (!Number.isFinite(seconds) || seconds < 5 || !layout || layout.halls.length === 0) return;
  const kind = p.get('view') ?? 'site';
  if (kind !== 'site' && kind !== 'hall') return;
  rotateTimer = window.setTimeout(() => {
    const halls = layout.halls.map((x) => x.id);
    const next: Record<string, string> = Object.fromEntries(p.entries());
    if (kind === 'hall') {
      const i = halls.indexOf(p.get('hall') ?? halls[0]);
      next.hall = halls[(i + 1) % halls.length];
    } else {
      next.view = 'hall';
      next.hall = halls[0];
      // Remember the site page was part of the cycle so the last hall returns to it.
      next.cycle = 'site';
    }
    if (kind === 'hall' && p.get('cycle') === 'site' && p.get('hall') === halls[halls.length - 1]) {
      next.view = 'site';
      delete next.hall;
    }
    navigate(next, true);
  }, seconds * 1000);
}

function buildNav(): void {
  const layout = live.state.layout;
  if (!layout) return;
  setText(siteName, layout.site);
  const p = params();
  if (navBuiltFor !== layout) {
    navBuiltFor = layout;
    const link = (label: string, target: Record<string, string>): HTMLAnchorElement => {
      const a = h('a', { href: `?${new URLSearchParams(target).toString()}`, 'data-nav': target.hall ?? target.view }, label);
      a.addEventListener('click', (e) => { e.preventDefault(); navigate(target); });
      return a;
    };
    nav.replaceChildren(link('Site', { view: 'site' }),
      ...layout.halls.map((x) => link(hallLabel(x), { view: 'hall', hall: x.id })), link('Economics', { view: 'economics' }));
  }
  const current = (p.get('view') ?? 'site') === 'hall' ? (p.get('hall') ?? firstHall() ?? '') : (p.get('view') ?? 'site');
  for (const a of Array.from(nav.children)) setAttr(a, 'aria-current', String(a.getAttribute('data-nav') === current));
}

function tick(): void {
  const now = Date.now();
  setText(clock, formatClock(now));
  const st = live.state;
  const limits = dataAgeLimits(params());
  // The age of the newest reading, not of the last socket message: a socket that keeps talking while
  // ingest has stopped must not look live. An older server that does not send it falls back to the socket.
  const readings = dataAge(st, now);
  setText(age, readings !== null ? `data ${formatDuration(readings)} old`
    : st.lastMessageAt == null ? 'no data yet'
      : st.readingAgeAtMessage === null ? 'no reading yet' : `updated ${formatDuration(now - st.lastMessageAt)} ago`);
  setAttr(conn, 'data-conn', st.connected ? 'up' : 'down');
  setAttr(age, 'data-fresh', freshness(st, now, limits));
  const stale = staleness(st, now, undefined, limits);
  if (stale.stale) {
    const lastAt = readings !== null ? now - readings : st.lastMessageAt;
    const since = lastAt == null ? '' : ` · last data ${formatClock(lastAt)}, ${formatDuration(now - lastAt)} ago`;
    setText(staleReason, `${stale.reason}${since}`);
  }
  if (staleBanner.hidden === stale.stale) staleBanner.hidden = !stale.stale;
  curtailment.update(st, now);
  document.body.classList.toggle('stale', stale.stale);
}

let prefilled = false;
live.onChange((state, kind) => {
  if (kind === 'snapshot' || kind === 'update') recordSite(trends, state);
  if (kind === 'snapshot' && !prefilled) {
    prefilled = true;
    void prefillSiteTrends(trends);
  }
  // Views rebuild their maps themselves when a snapshot brings a new layout; only a view that could not be
  // chosen before the layout was known (a hall view without a hall) needs mounting now.
  if (!view) mount();
  else if (kind === 'snapshot' && rotateTimer == null) scheduleRotate();
  view?.update();
  buildNav();
  tick();
});

window.addEventListener('popstate', () => mount());
mount();
tick();
window.setInterval(() => {
  tick();
  view?.tick?.(Date.now());
}, 1000);
