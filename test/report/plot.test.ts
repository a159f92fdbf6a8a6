// The rasteriser and chart layout: a known line lands on the expected pixels; text is drawn.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PNG } from "pngjs";
import { layoutChart, logTicks, niceTicks } from "../../src/report/chart.js";
import { chartPng, drawChart } from "../../src/report/plot.js";
import { Canvas } from "../../src/report/raster.js";

test("a straight series is drawn from the plot's bottom-left to its top-right corner", () => {
  const layout = layoutChart({ title: "T", xLabel: "x", width: 300, height: 200, series: [{ name: "s", points: [[0, 0], [10, 10]] }] });
  const { x0, y0, x1, y1 } = layout.plot;
  assert.deepEqual(layout.lines[0].points, [[x0, y1], [x1, y0]]);
  const cv = drawChart(layout);
  const at = (x: number, y: number): number[] => Array.from(cv.rgba.subarray((Math.round(y) * cv.width + Math.round(x)) * 4, (Math.round(y) * cv.width + Math.round(x)) * 4 + 3));
  assert.deepEqual(at((x0 + x1) / 2, (y0 + y1) / 2), [0x1f, 0x77, 0xb4]);
  assert.deepEqual(at(x0 + 10, y0 + 30), [255, 255, 255]); // above the line, away from grid and legend
  const png = PNG.sync.read(chartPng(layout));
  assert.deepEqual([png.width, png.height], [300, 200]);
});

test("text uses the bitmap font: '1' is a vertical stroke with a base", () => {
  const cv = new Canvas(7, 9);
  cv.text(1, 1, "1", [0, 0, 0]);
  const ink = (x: number, y: number): boolean => cv.rgba[(y * 7 + x) * 4] === 0;
  for (let y = 1; y <= 7; y++) assert.ok(ink(3, y), `stem at row ${y}`);
  assert.ok(ink(2, 7) && ink(4, 7) && !ink(1, 7) && !ink(5, 7));
  assert.ok(!ink(0, 0));
});

test("nice ticks fall on 1-2-5 steps", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(3, 97, 5), [20, 40, 60, 80]);
});

test("log-axis ticks are 1-2-5 multiples of powers of ten", () => {
  assert.deepEqual(logTicks(Math.log10(0.03), Math.log10(1.6)), [0.05, 0.1, 0.2, 0.5, 1]);
  assert.deepEqual(logTicks(-6, 0), [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1]);
});
