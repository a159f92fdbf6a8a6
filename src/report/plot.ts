// src/report/plot.ts — charts as PNG: draws a ChartLayout on the raster canvas, and stacks the
// training-log panels (loss, validation metrics, learning rate) into one image — the founding
// note's "evolution of the performance" picture, viewable without a browser.
import { layoutChart, trainingCharts, type ChartLayout } from "./chart.js";
import { Canvas, parseHexColor, textWidth, type Rgb } from "./raster.js";
import type { TrainingLog } from "./run-folder.js";

const INK: Rgb = [40, 40, 40], GRID: Rgb = [228, 228, 228], FRAME: Rgb = [136, 136, 136];

export function drawChart(c: ChartLayout): Canvas {
  const cv = new Canvas(c.width, c.height);
  const { x0, y0, x1, y1 } = c.plot;
  for (const t of c.yTicks) {
    cv.line(x0, t.pos, x1, t.pos, GRID);
    cv.text(x0 - 4 - textWidth(t.label), t.pos - 3, t.label, INK);
  }
  for (const t of c.xTicks) {
    cv.line(t.pos, y0, t.pos, y1, GRID);
    cv.text(t.pos - textWidth(t.label) / 2, y1 + 6, t.label, INK);
  }
  cv.line(x0, y0, x1, y0, FRAME); cv.line(x0, y1, x1, y1, FRAME);
  cv.line(x0, y0, x0, y1, FRAME); cv.line(x1, y0, x1, y1, FRAME);
  cv.text((x0 + x1) / 2 - textWidth(c.title, 2) / 2, 6, c.title, INK, 2);
  cv.text((x0 + x1) / 2 - textWidth(c.xLabel) / 2, c.height - 14, c.xLabel, INK);
  c.lines.forEach((l, i) => {
    const color = parseHexColor(l.color);
    for (let p = 1; p < l.points.length; p++) cv.line(l.points[p - 1][0], l.points[p - 1][1], l.points[p][0], l.points[p][1], color, 2);
    if (l.points.length === 1) cv.fillRect(l.points[0][0] - 2, l.points[0][1] - 2, 5, 5, color);
    const ly = y0 + 8 + 12 * i;
    cv.line(x1 - 130, ly + 3, x1 - 114, ly + 3, color, 2);
    cv.text(x1 - 110, ly, l.name, INK);
  });
  return cv;
}

/** PNG bytes of a chart. */
export function chartPng(c: ChartLayout): Buffer {
  return drawChart(c).toPng();
}

/** The training log's panels stacked vertically as one PNG; throws when the log is empty. */
export function trainingCurvesPng(log: TrainingLog, width = 720, panelHeight = 260): Buffer {
  const charts = trainingCharts(log, width, panelHeight).map(layoutChart);
  if (charts.length === 0) throw new Error("training log holds no loss, learning-rate or validation values to plot");
  const out = new Canvas(width, panelHeight * charts.length);
  charts.forEach((c, i) => out.blit(drawChart(c), 0, i * panelHeight));
  return out.toPng();
}
