// test/report — the run report on a fake run folder: the HTML is self-contained and holds the
// tables, SVG curves and overlay images; curves.png decodes and shows the plotted series.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { caseMeanDice, scoreCases, type ScoreReport } from "../../src/eval/score.js";
import { bestAndWorstCases } from "../../src/report/html.js";
import { writeRunReport } from "../../src/report/build.js";
import { parseTrainingLog } from "../../src/report/run-folder.js";
import { Canvas } from "../../src/report/raster.js";
import { niceTicks, padRange } from "../../src/report/chart.js";
import { registerReport } from "../../src/cli/commands/report.js";
import { labelVolume, paint, readFixture, runCommand, type Shape } from "../eval/helpers.js";

interface Recipe { id: string; phase: "ED" | "ES" | null; dims: number[]; spacing: number[]; truth: Shape[]; pred: Shape[] }

function fakeRun(): { dir: string; best: string; worst: string } {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-run-"));
  const lines: string[] = [];
  for (let it = 0; it <= 400; it += 10) lines.push(JSON.stringify({ iter: it, loss: 2 * Math.exp(-it / 120) + 0.1, lr: 0.01 * (1 - it / 500) ** 0.9 }));
  for (let it = 100; it <= 400; it += 100) lines.push(JSON.stringify({ iter: it, val: { mean_dice: 0.5 + it / 1000, mean_iou: 0.4 + it / 1000 } }));
  lines.push('{"iter": 410, "loss": 0.1'); // torn last line of a killed run
  writeFileSync(join(dir, "metrics.jsonl"), lines.join("\n") + "\n");
  const { recipes } = readFixture<{ recipes: Recipe[] }>("synthetic.json");
  const report = scoreCases(recipes.map((r) => ({
    id: r.id, phase: r.phase,
    pred: labelVolume(paint(r.dims, r.pred), r.dims, r.spacing), truth: labelVolume(paint(r.dims, r.truth), r.dims, r.spacing),
  })));
  mkdirSync(join(dir, "eval", "cases"), { recursive: true });
  writeFileSync(join(dir, "eval", "scores.json"), JSON.stringify(report));
  const ranked = [...report.cases].sort((a, b) => caseMeanDice(b) - caseMeanDice(a));
  ranked.forEach((c, i) => {
    for (const kind of ["pred", "gt"]) {
      const cv = new Canvas(8, 6, [i * 20, kind === "gt" ? 200 : 10, 50]);
      writeFileSync(join(dir, "eval", "cases", `${c.id}_${kind}.png`), cv.toPng());
    }
  });
  return { dir, best: ranked[0].id, worst: ranked[ranked.length - 1].id };
}

test("report.html is self-contained with metric tables, sortable case rows, SVG curves and overlays", () => {
  const run = fakeRun();
  try {
    const built = writeRunReport(run.dir, undefined, { generatedAt: new Date(0) });
    const html = readFileSync(built.html, "utf8");
    assert.match(html, /<td>FreqW IoU \(deeplab-pytorch&#39;s &#39;FreqW Acc&#39;\)<\/td>/);
    assert.match(html, /<td>Mean Dice<\/td><td class="n" data-v="0\.\d+">0\.\d{4}<\/td>/);
    for (const id of ["syn0_ED", "syn2_ES", "norv", "bothempty", "slice2d"]) assert.match(html, new RegExp(`<tr><td>${id}</td>`));
    assert.match(html, /<table class="sortable">/);
    const script = /<script>([^]*)<\/script>/.exec(html)?.[1] ?? "";
    assert.match(script, /addEventListener\("click"/);
    assert.doesNotThrow(() => new Function(script), "inline sort script parses");
    assert.equal((html.match(/<svg /g) ?? []).length, 3, "loss, validation and learning-rate charts");
    assert.match(html, /<polyline points="[\d., ]+"[^>]*><title>mean_dice<\/title>/);
    assert.match(html, /1 unreadable line\(s\) in metrics\.jsonl skipped/);
    for (const id of [run.best, run.worst]) {
      for (const kind of ["pred", "gt"]) {
        const b64 = readFileSync(join(run.dir, "eval", "cases", `${id}_${kind}.png`)).toString("base64");
        assert.ok(html.includes(`src="data:image/png;base64,${b64}"`), `${id} ${kind} overlay embedded`);
      }
    }
    assert.ok(html.indexOf(run.best) < html.indexOf("<h2>Worst cases"), "best case listed before the worst section");
    // Nothing is loaded from elsewhere: no external src/href, no stylesheet links.
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
    assert.doesNotMatch(html, /<link /);
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
});

test("curves.png holds the stacked panels with the series drawn in their colours", () => {
  const run = fakeRun();
  try {
    const built = writeRunReport(run.dir);
    assert.ok(built.curvesPng && existsSync(built.curvesPng));
    const png = PNG.sync.read(readFileSync(built.curvesPng));
    assert.deepEqual([png.width, png.height], [720, 3 * 260]);
    const count = (rgb: number[], y0: number, y1: number): number => {
      let n = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = 0; x < png.width; x++) {
          const o = (y * png.width + x) * 4;
          if (png.data[o] === rgb[0] && png.data[o + 1] === rgb[1] && png.data[o + 2] === rgb[2]) n++;
        }
      }
      return n;
    };
    assert.ok(count([0x1f, 0x77, 0xb4], 0, 260) > 500, "loss line in the first panel");
    assert.ok(count([0xd6, 0x27, 0x28], 260, 520) > 100, "second validation series (mean_iou) in the second panel");
    assert.ok(count([40, 40, 40], 0, 260) > 200, "tick labels and title text");
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
});

test("cardioseg report writes both files, and refuses a folder with nothing to report", async () => {
  const run = fakeRun();
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-empty-"));
  try {
    const out = await runCommand(registerReport, ["report", run.dir, "--cases", "2"]);
    assert.match(out, /report written to .*report\.html\ntraining curves written to .*curves\.png/);
    await assert.rejects(runCommand(registerReport, ["report", dir]), /neither metrics\.jsonl nor eval[/\\]scores\.json found/);
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test("training log parsing keeps train and validation points and counts bad lines", () => {
  const log = parseTrainingLog('{"iter":1,"loss":0.5,"lr":0.01}\n\n{"iter":2,"val":{"mean_dice":0.7,"note":"x"}}\nnot json\n[1]\n{"loss":3}\n');
  assert.deepEqual(log.train, [{ iter: 1, loss: 0.5, lr: 0.01 }]);
  assert.deepEqual(log.val, [{ iter: 2, val: { mean_dice: 0.7 } }]);
  assert.equal(log.skippedLines, 3);
});

test("a log whose values differ only in the last bit gets a sane axis; ticks never run away", () => {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-lastbit-"));
  try {
    const lines = [0.001, 0.0010000000000000002, 0.001].map((lr, i) => JSON.stringify({ iter: i + 1, loss: 1 + i * Number.EPSILON, lr }));
    writeFileSync(join(dir, "metrics.jsonl"), lines.join("\n") + "\n");
    const built = writeRunReport(dir);
    assert.ok(existsSync(built.html) && built.curvesPng !== null);
    const [lo, hi] = padRange([0.001, 0.0010000000000000002]);
    assert.ok(lo < 0.001 && hi > 0.001 && (hi - lo) / 0.001 > 1e-4, `${lo} ${hi}`);
    assert.ok(niceTicks(lo, hi, 5).length >= 2);
    assert.deepEqual(niceTicks(1e20, 1e20 + 1e5, 5), []); // too fine for doubles: no ticks, no endless loop
    assert.ok(niceTicks(0, 1, 5).length <= 100);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a malformed scores.json is refused naming the file and the field; log problems name the line", () => {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-badscores-"));
  try {
    mkdirSync(join(dir, "eval"));
    const good = scoreCases([]);
    writeFileSync(join(dir, "eval", "scores.json"), JSON.stringify({ ...good, cases: [{ id: 7 }] }));
    assert.throws(() => writeRunReport(dir), /eval[/\\]scores\.json: not a valid cardioseg score file: cases\[0\]\.id: .*expected string/);
    writeFileSync(join(dir, "eval", "scores.json"), "null");
    assert.throws(() => writeRunReport(dir), /scores\.json: not a valid cardioseg score file: \(top level\)/);
    rmSync(join(dir, "eval", "scores.json"));
    mkdirSync(join(dir, "eval", "scores.json"));
    assert.throws(() => writeRunReport(dir), /eval[/\\]scores\.json: is a folder, not a file/);
    const log = parseTrainingLog('{"iter":1,"loss":"high"}\n{"iter":"2"}\n');
    assert.deepEqual(log.problems, ["line 1: loss: Invalid input: expected number, received string", "line 2: iter: Invalid input: expected number, received string"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("best and worst cases never overlap, also with a single case", () => {
  const report = (means: number[]): ScoreReport => ({ cases: means.map((m, i) => ({ id: `c${i}`, dice: { LV: m } })) } as unknown as ScoreReport);
  assert.deepEqual(bestAndWorstCases(report([0.9]), 3), { best: [report([0.9]).cases[0]], worst: [] });
  const four = bestAndWorstCases(report([0.5, 0.9, 0.1, 0.7]), 3);
  assert.deepEqual(four.best.map((c) => c.id), ["c1", "c3"]);
  assert.deepEqual(four.worst.map((c) => c.id), ["c2", "c0"]);
});
