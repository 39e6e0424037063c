// Tiny DOM helpers: views build their elements once and then only change text and attributes, so a page
// that updates every second for days does not churn nodes.

import type { Level } from './levels.js';

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(
  tag: K, attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Writes only when changed: cheaper, and keeps the DOM quiet for anything watching mutations. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

export interface Tile {
  el: HTMLElement;
  set(value: string, sub?: string, level?: Level): void;
}

/** A headline figure: label, big value with unit, a line of context; data-tile is the test hook. */
export function tile(name: string, label: string): Tile {
  const value = h('div', { class: 'tile-value' }, '—');
  const sub = h('div', { class: 'tile-sub' }, '');
  const el = h('section', { class: 'tile', 'data-tile': name, 'data-level': 'unknown' },
    h('div', { class: 'tile-label' }, label), value, sub);
  return {
    el,
    set(v, subText = '', level = 'ok') {
      setText(value, v);
      setText(sub, subText);
      setAttr(el, 'data-level', level);
    },
  };
}

export interface View {
  el: HTMLElement;
  /** called after every change of the live state */
  update(): void;
  /** called every second: clocks, durations, chart windows */
  tick?(now: number): void;
  destroy(): void;
}
