// Trends: bounded ring-like buffers fed by live updates (and history where the API has it), drawn by
// chart.js in place. A wall runs for days, so every buffer has a hard bound and every chart is destroyed
// with its view.

import {
  Chart, LineController, LineElement, PointElement, LinearScale, Legend, Filler, Tooltip,
  type ChartDataset,
} from 'chart.js';
import { formatClock } from './format.js';
import { authHeaders } from './live.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Filler, Tooltip);

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

export interface AxisSpec {
  format: (v: number) => string;
  min?: number;
  max?: number;
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
  const fontPx = Math.round(rootFontPx() * 0.8);
  const axis = (spec: AxisSpec, position: 'left' | 'right', grid: boolean) => ({
    type: 'linear' as const,
    position,
    min: spec.min,
    max: spec.max,
    grid: { color: grid ? GRID : 'transparent' },
    border: { display: false },
    ticks: { color: TICK, font: { size: fontPx }, maxTicksLimit: 5, callback: (v: number | string) => spec.format(Number(v)) },
  });
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

  let drawnAt = 0;
  let drewEmpty = true;
  return {
    refresh() {
      const t = Date.now();
      // An hour across a few hundred pixels moves about a pixel per 5 s, and a bucket is 5 s: redrawing
      // more often changes nothing visible but makes chart.js rebuild every point element each second.
      // The exception is the first data (history arriving, or the first update): shown at once.
      const empty = series.every((s) => s.buffer.points.length === 0);
      if (t - drawnAt < TREND_BUCKET_MS && !(drewEmpty && !empty)) return;
      drawnAt = t;
      drewEmpty = empty;
      series.forEach((s, i) => {
        const ds = datasets[i];
        const r = dotRadius(s.buffer.points.length);
        if (ds.pointRadius !== r) ds.pointRadius = r;
      });
      const x = chart.options.scales?.x;
      if (x) {
        x.min = t - TREND_WINDOW_MS;
        x.max = t;
      }
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
