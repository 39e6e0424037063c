// Trends: bounded ring-like buffers fed by live updates (and history where the API has it), drawn by
// chart.js in place. A wall runs for days, so every buffer has a hard bound and every chart is destroyed
// with its view.

import {
  Chart, LineController, LineElement, PointElement, LinearScale, Legend, Filler, Tooltip,
  type ChartDataset, type Plugin,
} from 'chart.js';
import { formatClock } from './format.js';
import { authHeaders } from './live.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Filler, Tooltip);

/**
 * Room under the legend: chart.js puts the chart area right below it, and the axes' top tick labels are
 * centred on the area's top edge, so half of "1.3" sat against the PUE legend (issue 17's screenshots).
 * Half a line of the chart's font keeps them apart. chart.js has no legend margin option: its own docs'
 * answer is to grow the legend's box after it measures itself.
 */
function legendGap(fontPx: () => number): Plugin<'line'> {
  return {
    id: 'legendGap',
    beforeInit(chart) {
      const legend = chart.legend;
      if (!legend) return;
      const fit = legend.fit.bind(legend);
      legend.fit = () => {
        fit();
        legend.height += Math.round(fontPx() * 0.6);
      };
    },
  };
}

export interface Point { x: number; y: number | null }

export const TREND_WINDOW_MS = 60 * 60 * 1000;
/** One point per bucket: an hour at 5 s is 720 points, cheap to draw every second on a 4K wall. */
export const TREND_BUCKET_MS = 5_000;

/**
 * The last hour of one series. Within one bucket the latest value wins, so a 1 Hz feed keeps at most
 * window ÷ bucket points however long the page runs.
 */
export class TrendBuffer {
  readonly points: Point[] = [];
  constructor(readonly windowMs = TREND_WINDOW_MS, readonly bucketMs = TREND_BUCKET_MS) {}

  push(ts: number, value: number | null): void {
    const last = this.points[this.points.length - 1];
    if (last && ts < last.x) return;
    if (last && Math.floor(ts / this.bucketMs) === Math.floor(last.x / this.bucketMs)) {
      last.x = ts;
      last.y = value;
    } else {
      this.points.push({ x: ts, y: value });
    }
    this.trim(ts);
  }

  /** History from the API, placed before what the live feed already gave. */
  prefill(points: readonly (readonly [number, number | null])[]): void {
    const firstLive = this.points[0]?.x ?? Infinity;
    const older = points.filter(([ts]) => ts < firstLive).map(([x, y]) => ({ x, y }));
    this.points.unshift(...older);
    const newest = this.points[this.points.length - 1];
    if (newest) this.trim(newest.x);
  }

  private trim(now: number): void {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < this.points.length && this.points[drop].x < cutoff) drop++;
    if (drop > 0) this.points.splice(0, drop);
  }
}

export interface SeriesSpec {
  label: string;
  buffer: TrendBuffer;
  color: string;
  /** 'y' (left) or 'y2' (right, e.g. PUE beside power) */
  axis?: 'y' | 'y2';
  fill?: boolean;
}

/** What an axis measures, in the figures' base units: W, TH/s, %, °C, or a bare ratio (PUE). */
export type AxisUnit = 'power' | 'hashrate' | 'pct' | 'temp' | 'pue' | 'count' | 'usd_per_mwh';

export interface AxisSpec {
  unit: AxisUnit;
  min?: number;
  max?: number;
  /**
   * The least span the axis shows, in base units: a 0.3 °C wobble drawn over the full height reads as a
   * steep climb from across the room, so noise under this span stays flat. Defaults per unit (MIN_SPAN).
   */
  minSpan?: number;
}

/** Least spans per unit: a few degrees, a tenth of PUE; power and hashrate axes start at 0, pct is 0–100. */
const MIN_SPAN: Partial<Record<AxisUnit, number>> = { temp: 4, pue: 0.2 };

const UNIT_STEPS: Record<'power' | 'hashrate', readonly [number, string][]> = {
  power: [[1e6, 'MW'], [1e3, 'kW'], [1, 'W']],
  hashrate: [[1e6, 'EH/s'], [1e3, 'PH/s'], [1, 'TH/s']],
};

/** The fewest decimals that print a tick step exactly (0.25 → 2, 5 → 0): repeated labels come from fewer. */
export function decimalsFor(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  for (let d = 0; d <= 4; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 4;
}

/**
 * Tick labels of one axis: the unit chosen once from the axis's largest tick (every tick of an MW axis in
 * MW, 0 included), the decimals from the step, so no two ticks read the same.
 */
export function axisTickLabels(unit: AxisUnit, values: readonly number[]): string[] {
  const maxAbs = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const step = values.length > 1 ? Math.abs(values[1] - values[0]) : 0;
  const NB = '\u202f';
  let div = 1;
  let suffix = '';
  if (unit === 'power' || unit === 'hashrate') {
    const [d, name] = UNIT_STEPS[unit].find(([d]) => maxAbs >= d) ?? UNIT_STEPS[unit][UNIT_STEPS[unit].length - 1];
    div = d;
    suffix = `${NB}${name}`;
  } else if (unit === 'pct') {
    suffix = `${NB}%`;
  } else if (unit === 'temp') {
    suffix = `${NB}°C`;
  } else if (unit === 'usd_per_mwh') {
    suffix = `${NB}$/MWh`;
  }
  const digits = decimalsFor(step / div);
  return values.map((v) => `${(v / div).toFixed(digits)}${suffix}`);
}

const GRID = 'rgba(255,255,255,0.10)';
const TICK = '#c8ccd4';

function rootFontPx(): number {
  return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
}

export interface TrendChart {
  refresh(): void;
  destroy(): void;
}

/** A line chart over the trend window; refresh() redraws from the buffers without animation. */
export function createTrendChart(
  canvas: HTMLCanvasElement, series: SeriesSpec[], y: AxisSpec, y2?: AxisSpec,
): TrendChart {
  // The wall's type scale: nothing under 24 px at 1920×1080 (root 17.28 px × 1.4), ticks included.
  let fontPx = Math.ceil(rootFontPx() * 1.4);
  canvas.setAttribute('data-tick-px', String(fontPx));
  const percent = (spec: AxisSpec): AxisSpec => (spec.unit === 'pct'
    ? { ...spec, min: Math.max(0, spec.min ?? 0), max: Math.min(100, spec.max ?? 100) } : spec);
  const axis = (raw: AxisSpec, position: 'left' | 'right', grid: boolean) => {
    const spec = percent(raw);
    return {
      type: 'linear' as const,
      position,
      min: spec.min,
      max: spec.max,
      grid: { color: grid ? GRID : 'transparent' },
      border: { display: false },
      ticks: {
        color: TICK, font: { size: fontPx }, maxTicksLimit: 4,
        callback: (_v: number | string, i: number, ticks: { value: number }[]) => axisTickLabels(spec.unit, ticks.map((t) => t.value))[i],
      },
    };
  };
  // A line needs two points: until the feed has a few, they are drawn as dots so the chart is not blank.
  const dotRadius = (points: number): number => (points < 12 ? Math.max(2, fontPx / 5) : 0);
  const datasets: ChartDataset<'line', Point[]>[] = series.map((s) => ({
    label: s.label,
    data: s.buffer.points,
    borderColor: s.color,
    backgroundColor: s.fill ? `${s.color}33` : s.color,
    fill: s.fill ? 'origin' : false,
    yAxisID: s.axis ?? 'y',
    borderWidth: Math.max(2, fontPx / 6),
    // Set in refresh(), never a function: a scriptable option makes chart.js resolve every point's
    // options through fresh proxies on each draw: garbage that grows with the points (half the page's
    // allocation with a dozen points a series, and what grew its heap past 150 MB over an hour).
    pointRadius: dotRadius(s.buffer.points.length),
    tension: 0,
    spanGaps: false,
  }));
  const now = Date.now();
  const chart = new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets },
    plugins: series.length > 1 ? [legendGap(() => fontPx)] : [],
    options: {
      // The wall is never touched and must not move on its own: no animation, no hover.
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      events: [],
      plugins: {
        legend: {
          display: series.length > 1,
          position: 'top',
          align: 'end',
          labels: { color: TICK, font: { size: fontPx }, boxWidth: fontPx, boxHeight: 3 },
        },
        tooltip: { enabled: false },
      },
      scales: {
        x: {
          type: 'linear',
          min: now - TREND_WINDOW_MS,
          max: now,
          grid: { color: GRID },
          border: { display: false },
          ticks: {
            color: TICK, font: { size: fontPx }, maxTicksLimit: 7, stepSize: 10 * 60 * 1000,
            callback: (v) => formatClock(Number(v), false),
          },
        },
        y: axis(y, 'left', true),
        ...(y2 ? { y2: axis(y2, 'right', false) } : {}),
      },
    },
  });

  const setFontPx = (px: number): void => {
    fontPx = px;
    canvas.setAttribute('data-tick-px', String(px));
    const sc = chart.options.scales ?? {};
    for (const id of ['x', 'y', 'y2']) {
      const ticks = sc[id]?.ticks;
      if (ticks) ticks.font = { size: px };
    }
    const labels = chart.options.plugins?.legend?.labels;
    if (labels) {
      labels.font = { size: px };
      labels.boxWidth = px;
    }
  };
  // Least spans: widen an axis whose data spans less, around the data's middle.
  const axes: [string, AxisSpec][] = [['y', percent(y)], ...(y2 ? [['y2', percent(y2)] as [string, AxisSpec]] : [])];
  const applySpans = (): void => {
    for (const [id, spec] of axes) {
      const span = spec.minSpan ?? MIN_SPAN[spec.unit];
      const scale = chart.options.scales?.[id];
      if (span === undefined || !scale) continue;
      let lo = Infinity;
      let hi = -Infinity;
      series.forEach((sr) => {
        if ((sr.axis ?? 'y') !== id) return;
        for (const p of sr.buffer.points) if (p.y != null) { lo = Math.min(lo, p.y); hi = Math.max(hi, p.y); }
      });
      if (!Number.isFinite(lo)) continue;
      const mid = (lo + hi) / 2;
      const half = Math.max(span, hi - lo) / 2;
      scale.suggestedMin = spec.min ?? mid - half;
      scale.suggestedMax = spec.max ?? mid + half;
    }
  };
  let drawnAt = 0;
  let drewEmpty = true;
  return {
    refresh() {
      const t = Date.now();
      // An hour across a few hundred pixels moves about a pixel per 5 s, and a bucket is 5 s: redrawing
      // more often changes nothing visible but makes chart.js rebuild every point element each second.
      // The exception is the first data (history arriving, or the first update): shown at once.
      const empty = series.every((s) => s.buffer.points.length === 0);
      // The type scale follows the window: a wall opened at 1080p and shown at 4K keeps its proportions.
      const px = Math.ceil(rootFontPx() * 1.4);
      const resized = px !== fontPx;
      if (resized) setFontPx(px);
      if (t - drawnAt < TREND_BUCKET_MS && !(drewEmpty && !empty) && !resized) return;
      drawnAt = t;
      drewEmpty = empty;
      series.forEach((s, i) => {
        const ds = datasets[i];
        const r = dotRadius(s.buffer.points.length);
        if (ds.pointRadius !== r) ds.pointRadius = r;
      });
      // A point stamped after the last redraw (server clock ahead, or the 5 s throttle) still shows.
      const newest = series.reduce((m, s) => Math.max(m, s.buffer.points[s.buffer.points.length - 1]?.x ?? 0), 0);
      const x = chart.options.scales?.x;
      if (x) {
        x.max = Math.max(t, newest);
        x.min = x.max - TREND_WINDOW_MS;
      }

      applySpans();
      chart.update('none');
    },
    destroy() {
      chart.destroy();
    },
  };
}

/** Trend series fetched from the history API; an API that is not there yet leaves the live feed alone. */
export async function fetchHistory(
  scope: string, metric: string, fromMs: number, toMs: number, stepMs: number,
): Promise<[number, number | null][] | null> {
  const q = new URLSearchParams({ scope, metric, from: String(fromMs), to: String(toMs), step: String(stepMs) });
  try {
    const res = await fetch(`/api/v1/history?${q.toString()}`, { headers: authHeaders() });
    if (!res.ok) return null;
    const body = (await res.json()) as { points?: [number, number | null][] };
    return Array.isArray(body.points) ? body.points : null;
  } catch {
    return null;
  }
}
