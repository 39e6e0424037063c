// `nvidia-smi -q -x` → gpu metrics, the same vocabulary as the CSV path (smi-csv.ts). This document is
// machine output with no mixed content, CDATA or namespaces, so a small tolerant element-tree parser does.
// Kept over fast-xml-parser 5.12.1 (issue 12, measured on the five -q -x captures): both give identical
// trees and readings, but the library parsed the 74.5 KB RTX4090 capture in 3.0 ms against 0.70 ms here
// (median of 15 × 200, same process), brings 8 packages (2.06 MB), and needs 44 lines of glue to keep this
// contract (a second XMLValidator pass to refuse a mismatched close tag, which its parser accepts; a cut-off
// last tag trimmed by hand, which its parser throws on; numeric references only via an htmlEntities
// object; its tree rebuilt into XmlElement). This parser skips the prolog, DOCTYPE (never expanding an
// entity it declares), comments and processing instructions, ignores attributes other than keeping them,
// accepts `<x />`, and trims text (drivers wrap long values across lines:
// `Not Active\n   </clocks_event_reason_applications_clocks_setting>`).
// Field names differ across DTD versions (v10–v13): every lookup below lists the names in the order tried.

import type { MetricOf } from '../core/types.js';
import { smiNumber, type SmiGpu } from './smi-csv.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** trimmed text directly inside the element (its children's text excluded) */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/giu, (whole, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[e] ?? whole;
  });
}

const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/uy;
const ATTR = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/gu;

/**
 * The root element of an XML document. Throws on text that is not XML at all (no root, a close tag
 * that does not match); an unclosed tail (truncated output) is closed silently so what was read is kept.
 */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const texts: string[][] = [[]];
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      texts[texts.length - 1].push(text.slice(i));
      break;
    }
    if (lt > i) texts[texts.length - 1].push(text.slice(i, lt));
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      i = end < 0 ? text.length : end + 3;
      continue;
    }
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      texts[texts.length - 1].push(text.slice(lt + 9, end < 0 ? text.length : end).replace(/&/gu, '&amp;'));
      i = end < 0 ? text.length : end + 3;
      continue;
    }
    if (text.startsWith('<!', lt)) {
      // DOCTYPE: no internal subset in nvidia-smi output, so the first '>' ends it
      const end = text.indexOf('>', lt + 2);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(text);
    // a tag cut off by the end of the text is truncation, not malformed XML
    if (!m && text.indexOf('>', lt) < 0) break;
    if (!m) throw new Error(`XML: malformed tag at offset ${lt}: ${JSON.stringify(text.slice(lt, lt + 40))}`);
    i = TAG.lastIndex;
    const [, closing, name, attrText, selfClosing] = m;
    if (closing) {
      const top = stack[stack.length - 1];
      if (stack.length === 1 || top.name !== name) throw new Error(`XML: </${name}> closes <${top.name}>`);
      top.text = decode(texts.pop()!.join('').trim());
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(ATTR)) attrs[a[1]] = decode(a[2] ?? a[3] ?? '');
    const el: XmlElement = { name, attrs, children: [], text: '' };
    stack[stack.length - 1].children.push(el);
    if (!selfClosing) {
      stack.push(el);
      texts.push([]);
    }
  }
  while (stack.length > 1) {
    stack[stack.length - 1].text = decode(texts.pop()!.join('').trim());
    stack.pop();
  }
  const top = root.children[0];
  if (!top) throw new Error('XML: no root element');
  return top;
}

/** First direct child by name (not a descendant: a GPU's own <fb_memory_usage>, never a MIG device's). */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** Text at a path of direct children; null where absent or where nvidia-smi says it has no value. */
function at(el: XmlElement, ...path: string[]): string | null {
  let cur: XmlElement | undefined = el;
  for (const p of path) cur = child(cur, p);
  if (!cur || cur.children.length) return null;
  const t = cur.text.replace(/\s+/gu, ' ');
  // N/A, [N/A], [Not Supported], "Requested functionality has been deprecated", "Unknown Error", …
  return t === '' || t === 'N/A' || /^\[.*\]$/u.test(t) ? null : t;
}

/** The first path (of child names) that has a value. */
function first(el: XmlElement, ...paths: string[][]): string | null {
  for (const p of paths) {
    const v = at(el, ...p);
    if (v !== null) return v;
  }
  return null;
}

function active(vs: (string | null)[]): number | null {
  const known = vs.filter((v): v is string => v !== null);
  if (!known.length) return null;
  return known.some((v) => v === 'Active') ? 1 : 0;
}

/** Throttle reasons under their R535+ name (clocks_event_…) or the older clocks_throttle_… one. */
function reasons(gpu: XmlElement, ...keys: string[]): number | null {
  const vs: (string | null)[] = [];
  for (const k of keys) {
    vs.push(first(gpu, ['clocks_event_reasons', `clocks_event_reason_${k}`], ['clocks_throttle_reasons', `clocks_throttle_reason_${k}`]));
  }
  return active(vs);
}

/**
 * Uncorrectable volatile ECC errors, what the CSV's ecc.errors.uncorrected.volatile.total reports: older
 * DTDs have a double_bit/total, v12 splits it into sram_ and dram_uncorrectable, v13 splits sram further
 * into _parity and _secded. The parts are summed; null where none is known (no ECC, as on GeForce).
 */
function eccUncorrectedVolatile(gpu: XmlElement): number | null {
  const total = smiNumber(first(gpu, ['ecc_errors', 'volatile', 'double_bit', 'total']));
  if (total !== null) return total;
  const vol = child(child(gpu, 'ecc_errors'), 'volatile');
  if (!vol) return null;
  const parts = ['sram_uncorrectable', 'sram_uncorrectable_parity', 'sram_uncorrectable_secded', 'dram_uncorrectable']
    .map((k) => smiNumber(at(vol, k)))
    .filter((n): n is number => n !== null);
  return parts.length ? parts.reduce((a, b) => a + b, 0) : null;
}

function gpuMetrics(gpu: XmlElement): Partial<Record<MetricOf<'gpu'>, number | null>> {
  // v12+ <gpu_power_readings>, older <power_readings>. power_draw is what the CSV's power.draw reports;
  // v13 has only average_ (the same 1 s average power.draw gives on Ampere and newer) and instant_.
  const power = (...keys: string[]): string | null =>
    first(gpu, ...keys.flatMap((k) => [['gpu_power_readings', k], ['power_readings', k]]));
  return {
    // with MIG on, the GPU-level utilization is N/A (and stays null): the MIG instances' own figures are
    // under <mig_devices>, which nothing here reads, so they are never added to the GPU's
    util_pct: smiNumber(at(gpu, 'utilization', 'gpu_util')),
    mem_util_pct: smiNumber(at(gpu, 'utilization', 'memory_util')),
    mem_used_mib: smiNumber(at(gpu, 'fb_memory_usage', 'used')),
    mem_total_mib: smiNumber(at(gpu, 'fb_memory_usage', 'total')),
    power_w: smiNumber(power('power_draw', 'average_power_draw', 'instant_power_draw')),
    power_limit_w: smiNumber(power('enforced_power_limit', 'current_power_limit', 'power_limit')),
    temp_c: smiNumber(at(gpu, 'temperature', 'gpu_temp')),
    mem_temp_c: smiNumber(at(gpu, 'temperature', 'memory_temp')),
    sm_clock_mhz: smiNumber(at(gpu, 'clocks', 'sm_clock')),
    throttle_thermal: reasons(gpu, 'sw_thermal_slowdown', 'hw_thermal_slowdown'),
    throttle_power: reasons(gpu, 'sw_power_cap', 'hw_power_brake_slowdown'),
    ecc_dbe_total: eccUncorrectedVolatile(gpu),
  };
}

/**
 * `nvidia-smi -q -x` → one entry per <gpu>. The document has no GPU index element (minor_number is the
 * /dev/nvidiaN number, not nvidia-smi's index), and nvidia-smi lists GPUs in index order, so the index
 * is the GPU's position in the document.
 */
export function parseNvidiaSmiXml(text: string): SmiGpu[] {
  const root = parseXml(text);
  if (root.name !== 'nvidia_smi_log') throw new Error(`nvidia-smi -q -x: root element is <${root.name}>, not <nvidia_smi_log>`);
  return root.children
    .filter((c) => c.name === 'gpu')
    .map((gpu, index) => ({
      index,
      uuid: at(gpu, 'uuid'),
      name: at(gpu, 'product_name'),
      metrics: gpuMetrics(gpu),
    }));
}
