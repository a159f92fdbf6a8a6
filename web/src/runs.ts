// web/src/runs.ts — the Runs page: the training runs under the server's --runs folder, and for the
// chosen one its curves (src/report's charts, the same pictures as report.html; live while the run
// trains, by server-sent events), its metric table, its best and worst cases with their overlays,
// and a link to its report.html.
import { layoutChart, trainingCharts } from "../../src/report/chart.js";
import { chartSvg } from "../../src/report/svg.js";
import { escapeHtml as esc } from "../../src/report/escape.js";
import { pushAll } from "../../src/util/array.js";
import type { TrainingLog } from "../../src/report/run-folder.js";
import { api, type RunDetail } from "./api.js";
import { fmt } from "./results.js";

export class RunsPage {
  private events: EventSource | null = null;
  private timer: number | undefined;
  /** The run shown, with its log as received so far. */
  current: RunDetail | null = null;

  constructor(private readonly list: HTMLElement, private readonly detail: HTMLElement) {}

  async show(): Promise<void> {
    await this.refreshList();
    this.timer = window.setInterval(() => void this.refreshList(), 5000);
  }

  hide(): void {
    window.clearInterval(this.timer);
    this.events?.close();
    this.events = null;
  }

  private async refreshList(): Promise<void> {
    try {
      const { runs } = await api.runs();
      if (runs.length === 0) {
        this.list.innerHTML = `<p class="hint">No training runs in the server's --runs folder yet (runs/ by default).</p>`;
        return;
      }
      this.list.innerHTML = `<table class="runs"><thead><tr><th>Run</th><th>Last iteration</th><th>Best val. Dice</th><th>Eval. Dice</th><th>Updated</th><th>Report</th></tr></thead><tbody>${
        runs.map((r) => `<tr data-run="${esc(r.name)}" class="${this.current?.name === r.name ? "selected" : ""}"><td><a href="#/runs/${encodeURIComponent(r.name)}">${esc(r.name)}</a></td>` +
          `<td class="n">${r.lastIter ?? "–"}</td><td class="n">${fmt(r.bestValDice, 3)}</td><td class="n">${fmt(r.evalDice, 3)}</td>` +
          `<td>${r.updated ? esc(new Date(r.updated).toLocaleString()) : ""}</td>` +
          `<td>${r.hasReport ? `<a target="_blank" rel="noopener" href="${api.runFileUrl(r.name, "report.html")}">report.html</a>` : ""}</td></tr>`).join("")
      }</tbody></table>`;
    } catch (err) {
      this.list.innerHTML = `<p class="error">${esc(err instanceof Error ? err.message : String(err))}</p>`;
    }
  }

  async open(name: string): Promise<void> {
    this.events?.close();
    this.detail.innerHTML = `<p class="hint">Loading ${esc(name)}…</p>`;
    try {
      this.current = await api.run(name);
    } catch (err) {
      this.detail.innerHTML = `<p class="error">${esc(err instanceof Error ? err.message : String(err))}</p>`;
      return;
    }
    this.render();
    // Live curves: the server sends the new lines of metrics.jsonl as they are written.
    this.events = new EventSource(api.runEventsUrl(name, this.current.logBytes));
    this.events.onmessage = (e) => {
      const d = JSON.parse(e.data as string) as { train: TrainingLog["train"]; val: TrainingLog["val"] };
      if (!this.current) return;
      const log = this.current.log ?? { train: [], val: [], skippedLines: 0, problems: [] };
      pushAll(log.train, d.train); // a loop: a long batch of lines would overflow push(...)'s arguments
      pushAll(log.val, d.val);
      this.current.log = log;
      this.renderCurves();
    };
  }

  private render(): void {
    const r = this.current;
    if (!r) return;
    const s = r.scores;
    const metrics = s ? `<h3>Evaluation</h3><table><thead><tr><th>Class</th><th>Dice</th><th>IoU</th></tr></thead><tbody>${
      s.classes.map((c) => `<tr><td>${esc(c)}</td><td class="n">${fmt(s.per_class[c]?.dice, 4)}</td><td class="n">${fmt(s.per_class[c]?.iou, 4)}</td></tr>`).join("")
    }<tr><th>Mean</th><td class="n">${fmt(s.mean_dice, 4)}</td><td class="n">${fmt(s.mean_iou, 4)}</td></tr></tbody></table>` : `<p class="hint">No evaluation yet (cardioseg evaluate writes eval/scores.json).</p>`;
    const cases = (title: string, list: RunDetail["best"]): string => list.length === 0 ? "" : `<h3>${title}</h3><div class="cases">${
      list.map((c) => `<figure class="case"><figcaption>${esc(c.id)} — mean Dice ${fmt(c.meanDice, 3)}</figcaption><div class="pair">${
        [["pred", "prediction"], ["gt", "ground truth"]].map(([k, label]) => {
          const rel = c[k as "pred" | "gt"];
          return rel ? `<img alt="${esc(`${c.id} ${label}`)}" src="${api.runFileUrl(r.name, rel)}">` : `<div class="missing">no ${label} overlay</div>`;
        }).join("")}</div></figure>`).join("")}</div>`;
    this.detail.innerHTML = `<h2>${esc(r.name)} ${r.hasReport ? `<a class="small" target="_blank" rel="noopener" href="${api.runFileUrl(r.name, "report.html")}">open report.html</a>` : ""}</h2>
      <div id="run-curves" class="row"></div>${metrics}${cases("Best cases", r.best)}${cases("Worst cases", r.worst)}`;
    this.renderCurves();
  }

  private renderCurves(): void {
    const box = this.detail.querySelector("#run-curves");
    const log = this.current?.log;
    if (!box) return;
    box.innerHTML = log ? trainingCharts(log, 420, 240).map((c) => chartSvg(layoutChart(c))).join("") : `<p class="hint">No training log (metrics.jsonl).</p>`;
  }
}
