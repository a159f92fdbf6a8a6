// src/report/chart.ts — a line chart laid out in pixel coordinates (plot area, "nice" ticks,
// polylines, legend), so that the SVG writer and the PNG rasteriser draw the same picture.
import type { TrainingLog } from "./run-folder.js";
import { minMax } from "../util/array.js";

export interface Series { name: string; points: readonly (readonly [number, number])[] }

export interface ChartSpec {
  title: string;
  xLabel: string;
  series: readonly Series[];
  width: number;
  height: number;
  /** Plot y on a log10 axis (positive values only), e.g. for the loss. */
  logY?: boolean;
}

export interface Tick { pos: number; label: string }

export interface ChartLayout {
  width: number;
  height: number;
  title: string;
  xLabel: string;
  plot: { x0: number; y0: number; x1: number; y1: number };
  xTicks: Tick[];
  yTicks: Tick[];
  lines: { name: string; color: string; points: [number, number][] }[];
}

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/** Most points kept per series; longer logs are thinned by bucket means (shape is preserved). */
const MAX_POINTS = 600;
/** Values beyond this are not plotted (as non-finite ones): no training metric gets near it. */
const MAX_PLOTTED = 1e150;
/** Series drawn per chart and characters of a series name; more would only clutter the legend. */
const MAX_SERIES = 12;
const MAX_NAME = 40;

export function layoutChart(spec: ChartSpec): ChartLayout {
  const plot = { x0: 56, y0: 28, x1: spec.width - 16, y1: spec.height - 40 };
  const ty = (y: number): number => (spec.logY ? Math.log10(y) : y);
  const plottable = (v: number): boolean => Math.abs(v) <= MAX_PLOTTED;
  const series = spec.series.slice(0, MAX_SERIES).map((s) => ({
    name: s.name.length > MAX_NAME ? `${s.name.slice(0, MAX_NAME - 1)}…` : s.name,
    points: thin(s.points.filter(([x, y]) => plottable(x) && plottable(y) && (!spec.logY || y > 0))),
  }));
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => ty(p[1])));
  const [xMin, xMax] = padRange(xs);
  const [yMin, yMax] = padRange(ys);
  const sx = (x: number): number => plot.x0 + ((x - xMin) / (xMax - xMin)) * (plot.x1 - plot.x0);
  const sy = (y: number): number => plot.y1 - ((y - yMin) / (yMax - yMin)) * (plot.y1 - plot.y0);
  const xTicks = niceTicks(xMin, xMax, 6).map((v) => ({ pos: sx(v), label: formatTick(v) }));
  const yTicks = spec.logY
    ? logTicks(yMin, yMax).map((v) => ({ pos: sy(Math.log10(v)), label: formatTick(v) }))
    : niceTicks(yMin, yMax, 5).map((v) => ({ pos: sy(v), label: formatTick(v) }));
  return {
    width: spec.width, height: spec.height, title: spec.title, xLabel: spec.xLabel, plot, xTicks, yTicks,
    lines: series.map((s, i) => ({
      name: s.name, color: PALETTE[i % PALETTE.length],
      points: s.points.map(([x, y]) => [sx(x), sy(ty(y))] as [number, number]),
    })),
  };
}

/**
 * The axis range of `values`. A range too narrow for its magnitude (values equal, or differing
 * only in their last bits, such as 0.001 and 0.0010000000000000002) is widened to +-0.1% of the
 * value (+-0.5 around 0): otherwise tick steps fall below what a double can count in, and a tick
 * loop would never end.
 */
export function padRange(values: readonly number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let [lo, hi] = minMax(values);
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  if (hi - lo <= scale * 1e-9) {
    const mid = lo + (hi - lo) / 2;
    const half = scale > 0 ? scale * 1e-3 : 0.5;
    [lo, hi] = [mid - half, mid + half];
  }
  return [lo, hi];
}

/** Most ticks an axis gets; beyond, the range is not one niceTicks was meant for. */
const MAX_TICKS = 100;

/** Tick values at 1/2/5 x 10^k steps inside [lo, hi] (none for a degenerate or non-finite range). */
export function niceTicks(lo: number, hi: number, target: number): number[] {
  const raw = (hi - lo) / Math.max(1, target);
  if (!(raw > 0) || !Number.isFinite(raw)) return [];
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.ceil(lo / step - 1e-9), last = Math.floor(hi / step + 1e-9);
  // Counted in integers: i * step with i beyond 2^53 would not advance.
  if (!(last - first < MAX_TICKS) || Math.abs(first) > 2 ** 52) return [];
  const out: number[] = [];
  // Multiples of the step, rounded to 12 digits so 3 x 0.2 prints as 0.6, not 0.6000000000000001.
  for (let i = first; i <= last; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

/** Ticks for a log axis given in log10 units: 1-2-5 x 10^k, or only powers of ten when many. */
export function logTicks(logLo: number, logHi: number): number[] {
  const out: number[] = [];
  if (!(logHi - logLo < 2000)) return out; // log10 of doubles spans ~650; anything else is not a range
  for (let k = Math.floor(logLo); k <= Math.ceil(logHi); k++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** k).toPrecision(12));
      if (Math.log10(v) >= logLo - 1e-9 && Math.log10(v) <= logHi + 1e-9) out.push(v);
    }
  }
  const decades = out.filter((v) => Number.isInteger(Math.log10(v)));
  return out.length > 8 && decades.length >= 2 ? decades : out;
}

export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

function thin(points: readonly (readonly [number, number])[]): [number, number][] {
  if (points.length <= MAX_POINTS) return points.map(([x, y]) => [x, y]);
  const out: [number, number][] = [];
  const per = points.length / MAX_POINTS;
  for (let b = 0; b < MAX_POINTS; b++) {
    const part = points.slice(Math.floor(b * per), Math.floor((b + 1) * per));
    out.push([part.reduce((a, p) => a + p[0], 0) / part.length, part.reduce((a, p) => a + p[1], 0) / part.length]);
  }
  return out;
}

/** The standard panels of a training log: loss (log scale), validation metrics, learning rate. */
export function trainingCharts(log: TrainingLog, width: number, height: number): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const loss = log.train.filter((p) => p.loss !== undefined).map((p) => [p.iter, p.loss as number] as const);
  if (loss.length > 0) charts.push({ title: "Training loss", xLabel: "iteration", series: [{ name: "loss", points: loss }], width, height, logY: loss.every((p) => p[1] > 0) });
  const keys = [...new Set(log.val.flatMap((v) => Object.keys(v.val)))];
  if (keys.length > 0) {
    charts.push({
      title: "Validation", xLabel: "iteration", width, height,
      series: keys.map((k) => ({ name: k, points: log.val.filter((v) => k in v.val).map((v) => [v.iter, v.val[k]] as const) })),
    });
  }
  const lr = log.train.filter((p) => p.lr !== undefined).map((p) => [p.iter, p.lr as number] as const);
  if (lr.length > 0) charts.push({ title: "Learning rate", xLabel: "iteration", series: [{ name: "lr", points: lr }], width, height });
  return charts;
}
