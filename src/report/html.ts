// src/report/html.ts — the run report as one self-contained HTML page: inline CSS and JS,
// charts as inline SVG, overlay images as data: URIs; nothing is fetched, so it opens offline.
import { basename } from "node:path";
import { FREQW_LABEL, fmt } from "../eval/format.js";
import { caseMeanDice, type CaseScores, type Num, type ScoreReport } from "../eval/score.js";
import { layoutChart, trainingCharts } from "./chart.js";
import { escapeHtml as esc } from "./escape.js";
import type { RunFolder } from "./run-folder.js";
import { readInputFile } from "../io/errors.js";
import { chartSvg } from "./svg.js";

/** An overlay PNG larger than this is not embedded into the page (they are tens of kB). */
const MAX_OVERLAY_BYTES = 32 << 20;

export interface ReportOptions {
  title?: string;
  /** How many best and how many worst cases to show as overlays. */
  showCases?: number;
  /** Fixed timestamp (tests); defaults to now. */
  generatedAt?: Date;
}

export function buildReportHtml(run: RunFolder, opts: ReportOptions = {}): string {
  const title = opts.title ?? `cardioseg report — ${basename(run.dir)}`;
  const body: string[] = [`<h1>${esc(title)}</h1>`, `<p class="meta">Generated ${esc((opts.generatedAt ?? new Date()).toISOString())} from <code>${esc(run.dir)}</code></p>`];
  if (run.scores) body.push(metricSection(run.scores));
  if (run.log) body.push(curveSection(run));
  if (run.scores) {
    body.push(caseTableSection(run.scores));
    body.push(bestWorstSection(run, run.scores, opts.showCases ?? 3));
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>${body.join("\n")}
<script>${SORT_JS}</script></body></html>
`;
}

function table(header: string[], rows: string[][], cls = ""): string {
  return `<table${cls ? ` class="${cls}"` : ""}><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.join("")}</tr>`).join("")}</tbody></table>`;
}

const td = (text: string): string => `<td>${esc(text)}</td>`;
/** A numeric cell; data-v carries the raw value so sorting is numeric. */
const num = (v: Num | undefined, digits = 4): string =>
  `<td class="n" data-v="${v === null || v === undefined || !Number.isFinite(v) ? "" : v}">${fmt(v, digits)}</td>`;

function metricSection(s: ScoreReport): string {
  const overall = table(["Metric", "Value"], [
    [td("Overall Acc"), num(s.overall_acc)], [td("Mean Acc"), num(s.mean_acc)], [td(FREQW_LABEL), num(s.freqw_iou)],
    [td("Mean IoU"), num(s.mean_iou)], [td("Mean Dice"), num(s.mean_dice)],
  ]);
  const perClass = table(["Class", "IoU", "Dice", "Acc"],
    s.classes.map((c) => [td(c), num(s.per_class[c]?.iou), num(s.per_class[c]?.dice), num(s.per_class[c]?.acc)]));
  const parts = [`<h2>Metrics</h2><div class="row">${overall}${perClass}</div>`];
  if (s.summary) {
    const rows: string[][] = [];
    for (const [phase, byStructure] of Object.entries(s.summary)) {
      for (const [name, x] of Object.entries(byStructure)) {
        rows.push([td(phase), td(name), num(x.n, 0), num(x.dice_mean), num(x.hd95_mm_mean, 2), num(x.assd_mm_mean, 2), num(x.n_distance_undefined, 0)]);
      }
    }
    parts.push(`<h3>Per structure and phase (mean over cases)</h3>${table(["Phase", "Structure", "n", "Dice", "HD95 mm", "ASSD mm", "distance undefined"], rows)}`);
  }
  if (s.clinical) {
    const rows = Object.entries(s.clinical.agreement).map(([k, a]) =>
      [td(k), num(a.n, 0), num(a.pearson_r, 3), num(a.bias, 2), num(a.loa_low, 2), num(a.loa_high, 2)]);
    parts.push(`<h3>Clinical indices vs ground truth (Bland-Altman)</h3>${table(["Index", "n", "Pearson r", "Bias", "LoA low", "LoA high"], rows)}`);
  }
  if (s.skipped?.length) parts.push(`<p class="warn">Skipped: ${s.skipped.map((k) => esc(`${k.id} (${k.reason})`)).join("; ")}</p>`);
  return parts.join("\n");
}

function curveSection(run: RunFolder): string {
  const log = run.log;
  if (!log) return "";
  const charts = trainingCharts(log, 560, 280).map((c) => chartSvg(layoutChart(c)));
  const why = log.problems.length > 0 ? ` (${log.problems.map(esc).join("; ")}${log.skippedLines > log.problems.length ? "; …" : ""})` : "";
  const note = log.skippedLines > 0 ? `<p class="warn">${log.skippedLines} unreadable line(s) in metrics.jsonl skipped${why}.</p>` : "";
  return `<h2>Training curves</h2>${note}<div class="row">${charts.join("") || "<p>No values in metrics.jsonl.</p>"}</div>`;
}

function caseTableSection(s: ScoreReport): string {
  const structures = s.classes.slice(1);
  const header = ["Case", "Phase", "mean Dice", ...structures.map((n) => `Dice ${n}`), ...structures.map((n) => `HD95 ${n} mm`),
    ...structures.map((n) => `ASSD ${n} mm`), ...structures.map((n) => `Vol ${n} mL`), ...structures.map((n) => `Vol GT ${n} mL`)];
  const rows = s.cases.map((c) => [
    td(c.id), td(c.phase ?? ""), num(caseMeanDice(c)),
    ...structures.map((n) => num(c.dice[n])), ...structures.map((n) => num(c.hd95_mm[n], 2)),
    ...structures.map((n) => num(c.assd_mm[n], 2)), ...structures.map((n) => num(c.volume_ml?.[n], 1)),
    ...structures.map((n) => num(c.volume_ml_gt?.[n], 1)),
  ]);
  return `<h2>Cases <span class="hint">(click a column to sort)</span></h2>${table(header, rows, "sortable")}`;
}

/** The n best and n worst cases by mean Dice (best first, worst first); halves never overlap. */
export function bestAndWorstCases(s: ScoreReport, n: number): { best: CaseScores[]; worst: CaseScores[] } {
  const ranked = [...s.cases].filter((c) => Number.isFinite(caseMeanDice(c))).sort((a, b) => caseMeanDice(b) - caseMeanDice(a));
  if (ranked.length === 0 || n <= 0) return { best: [], worst: [] };
  const best = ranked.slice(0, Math.min(n, Math.ceil(ranked.length / 2)));
  // slice(length - k), not slice(-k): with one case k is 0 and slice(-0) would return it as "worst" too.
  const worst = ranked.slice(ranked.length - Math.min(n, Math.floor(ranked.length / 2))).reverse();
  return { best, worst };
}

function bestWorstSection(run: RunFolder, s: ScoreReport, n: number): string {
  const { best, worst } = bestAndWorstCases(s, n);
  if (best.length === 0) return "";
  const figures = (cases: CaseScores[]): string => cases.map((c) => caseFigure(run, c)).join("");
  return `<h2>Best cases</h2><div class="row">${figures(best)}</div>` +
    (worst.length ? `<h2>Worst cases</h2><div class="row">${figures(worst)}</div>` : "");
}

function caseFigure(run: RunFolder, c: CaseScores): string {
  const img = (kind: "pred" | "gt", label: string): string => {
    const p = run.overlay(c.id, kind);
    return p
      ? `<figure><img alt="${esc(`${c.id} ${label}`)}" src="data:image/png;base64,${readInputFile(p, MAX_OVERLAY_BYTES).toString("base64")}"><figcaption>${label}</figcaption></figure>`
      : `<figure class="missing"><div>no ${esc(kind)} overlay</div><figcaption>${label}</figcaption></figure>`;
  };
  const dice = Object.entries(c.dice).map(([k, v]) => `${k} ${fmt(v, 3)}`).join(", ");
  return `<div class="case"><h4>${esc(c.id)}${c.phase ? ` (${esc(c.phase)})` : ""}</h4><p>mean Dice ${fmt(caseMeanDice(c), 3)} — ${esc(dice)}</p>` +
    `<div class="pair">${img("pred", "prediction")}${img("gt", "ground truth")}</div></div>`;
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:15px}
.meta,.hint{color:#777;font-size:12px;font-weight:normal}.warn{color:#a40}
table{border-collapse:collapse;margin:8px 16px 8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px}
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;user-select:none}table.sortable th.asc::after{content:" ▲"}table.sortable th.desc::after{content:" ▼"}
.row{display:flex;flex-wrap:wrap;align-items:flex-start;gap:8px}.chart{border:1px solid #eee}
.case{border:1px solid #ddd;padding:8px;margin:4px}.case h4{margin:0 0 4px}.case p{margin:0 0 6px;font-size:12px}
.pair{display:flex;gap:6px}figure{margin:0}figure img{max-width:320px;image-rendering:pixelated;display:block}
figure.missing div{width:200px;height:120px;background:#f4f4f4;color:#999;display:flex;align-items:center;justify-content:center}
figcaption{font-size:12px;color:#555;text-align:center}`;

/** Click a header of a .sortable table: sort by that column (numbers by data-v, empty last). */
const SORT_JS = `document.querySelectorAll("table.sortable").forEach(function(t){
t.querySelectorAll("th").forEach(function(th,i){th.addEventListener("click",function(){
var asc=!th.classList.contains("asc");t.querySelectorAll("th").forEach(function(h){h.classList.remove("asc","desc")});
th.classList.add(asc?"asc":"desc");var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i];var xv=x.getAttribute("data-v"),yv=y.getAttribute("data-v");
if(xv!==null&&yv!==null){if(xv==="")return yv===""?0:1;if(yv==="")return -1;return asc?xv-yv:yv-xv;}
return asc?x.textContent.localeCompare(y.textContent):y.textContent.localeCompare(x.textContent);});
rows.forEach(function(r){body.appendChild(r)});});});});`;
