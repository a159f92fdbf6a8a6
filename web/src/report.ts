// web/src/report.ts — the one-page report a clinician keeps: the study, the model, ED/ES, the
// clinical indices, the per-frame volumes and their curve, Dice where ground truth exists, and the
// ED and ES mid-ventricular slices with the overlay. A self-contained HTML file (inline style,
// images as data: URLs) that prints on one page; escaped with src/report's escapeHtml.
import { escapeHtml as esc } from "../../src/report/escape.js";
import { CLINICAL_ROWS, fmt, strokeVolume, volumeChartSvg, type Results } from "./results.js";

export interface ReportInput {
  studyName: string;
  model: string;
  frameNames: readonly string[];
  classNames: readonly string[];
  results: Results;
  /** Key slices already rendered: caption and PNG data URL. */
  images: readonly { caption: string; dataUrl: string }[];
  corrected: boolean;
}

export function reportHtml(r: ReportInput): string {
  const { results: res } = r;
  const c = res.clinical;
  const structures = r.classNames.slice(1);
  const clinicalRows = c ? CLINICAL_ROWS.map((row) => `<tr><td>${esc(row.label)}</td><td class="n">${fmt(c[row.index])} ${esc(row.unit)}</td></tr>`).join("") +
    `<tr><td>LV SV</td><td class="n">${fmt(strokeVolume(c, "lv"))} mL</td></tr><tr><td>RV SV</td><td class="n">${fmt(strokeVolume(c, "rv"))} mL</td></tr>` : "";
  const frameRows = r.frameNames.map((name, t) => {
    const v = res.volumes[t];
    const d = res.dice[t];
    const tag = res.edEs?.ed === t ? " (ED)" : res.edEs?.es === t ? " (ES)" : "";
    return `<tr><td>${esc(name + tag)}</td>${structures.map((s) => `<td class="n">${fmt(v?.[s])}</td>`).join("")}` +
      `${res.dice.some(Boolean) ? structures.map((s) => `<td class="n">${fmt(d?.[s], 3)}</td>`).join("") : ""}</tr>`;
  }).join("");
  const diceHead = res.dice.some(Boolean) ? structures.map((s) => `<th>Dice ${esc(s)}</th>`).join("") : "";
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>cardioseg — ${esc(r.studyName)}</title>
<style>body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:18px;color:#222;max-width:1000px}h1{font-size:20px;margin:0 0 4px}
.meta{color:#666;font-size:12px}table{border-collapse:collapse;font-size:12px;margin:6px 12px 6px 0}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}.row{display:flex;gap:10px;flex-wrap:wrap;align-items:flex-start}
figure{margin:0}figure img{width:300px;image-rendering:pixelated;display:block}figcaption{font-size:12px;text-align:center}
.note{font-size:11px;color:#a40}@media print{body{margin:8mm}}</style></head><body>
<h1>cardioseg — ${esc(r.studyName)}</h1>
<p class="meta">${esc(new Date().toISOString())} · model ${esc(r.model)} · ED/ES ${res.edEs ? `${esc(r.frameNames[res.edEs.ed])} / ${esc(r.frameNames[res.edEs.es])} (${esc(res.edEs.from)})` : "not set"}${r.corrected ? " · labels corrected by hand" : ""}</p>
<div class="row"><table><tr><th>Index</th><th>Value</th></tr>${clinicalRows || "<tr><td colspan=2>needs ED and ES frames</td></tr>"}</table>
${volumeChartSvg(res.volumes, 420, 220)}</div>
<table><tr><th>Frame</th>${structures.map((s) => `<th>${esc(s)} mL</th>`).join("")}${diceHead}</tr>${frameRows}</table>
<div class="row">${r.images.map((im) => `<figure><img alt="${esc(im.caption)}" src="${im.dataUrl}"><figcaption>${esc(im.caption)}</figcaption></figure>`).join("")}</div>
<p class="note">Research software: check every contour before using a number.</p></body></html>`;
}
