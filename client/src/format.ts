// Number formatting for the wall: every figure carries its unit, and an unknown figure is a dash, never 0.
// A narrow no-break space keeps number and unit together when a tile wraps.

const NB = '\u202f';
export const DASH = '—';

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

/** Digits that keep three significant figures at wall distance without jumping width every second. */
function sig3(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return fixed(value, 0);
  if (abs >= 10) return fixed(value, 1);
  return fixed(value, 2);
}

export function formatPower(power_w: number | null | undefined): string {
  if (power_w == null || !Number.isFinite(power_w)) return DASH;
  const abs = Math.abs(power_w);
  if (abs >= 1e6) return `${sig3(power_w / 1e6)}${NB}MW`;
  if (abs >= 1e3) return `${sig3(power_w / 1e3)}${NB}kW`;
  return `${fixed(power_w, 0)}${NB}W`;
}

/** Hashrate comes in TH/s; a site is read in PH/s (1 PH/s = 1000 TH/s), a rack in TH/s. */
export function formatHashrate(hashrate_ths: number | null | undefined): string {
  if (hashrate_ths == null || !Number.isFinite(hashrate_ths)) return DASH;
  const abs = Math.abs(hashrate_ths);
  if (abs >= 1e6) return `${sig3(hashrate_ths / 1e6)}${NB}EH/s`;
  if (abs >= 1e3) return `${sig3(hashrate_ths / 1e3)}${NB}PH/s`;
  return `${sig3(hashrate_ths)}${NB}TH/s`;
}

/** Tenths by default; whole degrees where the space is a map cell (a chip's limit is a whole number). */
export function formatTemp(temp_c: number | null | undefined, digits = 1): string {
  if (temp_c == null || !Number.isFinite(temp_c)) return DASH;
  return `${fixed(temp_c, digits)}${NB}°C`;
}

export function formatPct(pct: number | null | undefined, digits = 0): string {
  if (pct == null || !Number.isFinite(pct)) return DASH;
  return `${fixed(pct, digits)}${NB}%`;
}

/** A 0–1 ratio shown as a percentage. */
export function formatRatio(ratio: number | null | undefined, digits = 0): string {
  return ratio == null ? DASH : formatPct(ratio * 100, digits);
}

export function formatPue(pue: number | null | undefined): string {
  if (pue == null || !Number.isFinite(pue)) return DASH;
  return fixed(pue, 2);
}

export function formatJth(j_per_th: number | null | undefined): string {
  if (j_per_th == null || !Number.isFinite(j_per_th)) return DASH;
  return `${fixed(j_per_th, 1)}${NB}J/TH`;
}

export function formatFlow(flow_lpm: number | null | undefined): string {
  if (flow_lpm == null || !Number.isFinite(flow_lpm)) return DASH;
  return `${fixed(flow_lpm, 0)}${NB}L/min`;
}

export function formatCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return DASH;
  return Math.round(n).toLocaleString('en-GB');
}

/** Elapsed time, coarse on purpose: a wall reads "12 min", not "12 min 31 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return DASH;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}${NB}s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min}${NB}min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h}${NB}h ${min % 60}${NB}min`;
  return `${Math.floor(h / 24)}${NB}d ${h % 24}${NB}h`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local wall-clock time HH:MM:SS (24 h: control rooms run on it). */
export function formatClock(ts: number, withSeconds = true): string {
  const d = new Date(ts);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return withSeconds ? `${hm}:${pad2(d.getSeconds())}` : hm;
}

/** A metric value from the vocabulary, formatted by the unit its name carries. */
export function formatMetric(name: string, value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return DASH;
  if (name.endsWith('_usd_per_mwh')) return `$${value.toFixed(2)}/MWh`;
  if (name.endsWith('_usd_per_ph_day')) return `$${value.toFixed(2)}/PH/day`;
  if (name.endsWith('_usd')) return `$${formatCount(value)}`;
  if (name.endsWith('_w')) return formatPower(value);
  if (name.endsWith('_ths')) return formatHashrate(value);
  if (name.endsWith('_temp_c') || name === 'temp_c') return formatTemp(value);
  if (name.endsWith('_pct')) return formatPct(value);
  if (name.endsWith('_mib')) return `${formatCount(value)}${NB}MiB`;
  if (name.endsWith('_rpm')) return `${formatCount(value)}${NB}rpm`;
  if (name.endsWith('_mhz')) return `${formatCount(value)}${NB}MHz`;
  if (name.endsWith('_lpm')) return formatFlow(value);
  if (name.endsWith('_bps')) return formatBits(value);
  if (name.endsWith('_per_s')) return `${fixed(value, value < 10 ? 1 : 0)}${NB}/s`;
  if (name.endsWith('_ms')) return `${fixed(value, value < 10 ? 1 : 0)}${NB}ms`;
  if (name.endsWith('_s')) return formatDuration(value * 1000);
  return formatCount(value);
}

/** A link's throughput in bits per second, in the SI steps operators quote (kbit/s … Tbit/s). */
export function formatBits(bps: number | null | undefined): string {
  if (bps == null || !Number.isFinite(bps)) return DASH;
  const steps: [number, string][] = [[1e12, 'Tbit/s'], [1e9, 'Gbit/s'], [1e6, 'Mbit/s'], [1e3, 'kbit/s']];
  for (const [f, u] of steps) if (Math.abs(bps) >= f) return `${fixed(bps / f, bps / f < 10 ? 2 : bps / f < 100 ? 1 : 0)}${NB}${u}`;
  return `${fixed(bps, 0)}${NB}bit/s`;
}

/** A metric's name for people: its unit suffix dropped (the value carries it), words spaced ("chip temp"). */
export function metricLabel(name: string): string {
  const words = name.replace(/_(w|ths|temp_c|c|pct|mib|rpm|mhz|lpm|bps|ms|s|kwh|v|a)$/, (m) => (m === '_temp_c' ? '_temp' : ''))
    .split('_').filter((w) => w !== '');
  const text = words.join(' ');
  return text === '' ? name : text.charAt(0).toUpperCase() + text.slice(1);
}
