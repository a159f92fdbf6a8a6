// web/src/app.ts — the viewer page: opening a study (upload, a --data case, or read in this
// browser when the in-browser engine is chosen), segmenting it with the chosen engine while the
// overlay fills in slice by slice, the overlay's legend, opacity and per-structure toggles,
// correcting with NiiVue's pen, the results panel, and the downloads. The page keeps each frame's
// label map (file voxel order); the study (study.ts: on the server, or in this page) keeps a copy
// for the downloads, refreshed when corrections are saved.
import { escapeHtml as esc } from "../../src/report/escape.js";
import { api, uploadStudy, type ServerInfo, type StudyInfo } from "./api.js";
import { BrowserEngine, ServerEngine, type SegmentEngine } from "./engines.js";
import { LocalStudy, ServerStudy, type OpenStudy } from "./study.js";
import { fromDrop, fromFileList, type Picked } from "./open.js";
import { reportHtml } from "./report.js";
import { CLINICAL_ROWS, computeResults, fmt, strokeVolume, volumeChartSvg, type Results } from "./results.js";
import { colorOf, Viewer, type Tool } from "./viewer.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} missing`);
  return el as T;
};

/** A study name as a download's file name stem. */
function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "") || "study";
}

function saveAs(href: string, filename: string): void {
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export class ViewerPage {
  readonly viewer = new Viewer();
  readonly classNames: readonly string[];
  readonly engines: { server: ServerEngine; browser: BrowserEngine };
  study: StudyInfo | null = null;
  /** Where the open study's images are (the server, or only this page). */
  opened: OpenStudy | null = null;
  labels: (Uint8Array | undefined)[] = [];
  /** Frames whose labels are complete (segmented to the last slice, or loaded). */
  complete: boolean[] = [];
  truth: (Uint8Array | null | undefined)[] = [];
  /** Frames corrected since the last save to the server. */
  unsaved = new Set<number>();
  corrected = false;
  override: { ed: number; es: number } | null = null;
  visible: boolean[];
  opacity = 0.5;
  results: Results | null = null;
  segmenting: AbortController | null = null;
  /** True while a study opens: Segment waits, or its labels would race the study's own (saved labels, truth). */
  loading = false;
  /** Milliseconds from pressing Segment to the last slice drawn (the figure README reports). */
  lastSegmentMs: number | null = null;
  private tool: Tool = { kind: "view" };
  private cine: number | undefined;

  /** `staticSite`: the page comes from a static host (serve --static-site): no server, in-browser only. */
  constructor(readonly info: ServerInfo, readonly staticSite = false) {
    this.classNames = info.classNames;
    this.visible = this.classNames.map(() => true);
    this.engines = {
      server: new ServerEngine(staticSite ? "this is a static site: there is no server to run the model"
        : info.engines.server ? null : "no model loaded: start the server with --model"),
      browser: new BrowserEngine(info.engines.browser, new URL("model/", document.baseURI), (text) => { $("segment-status").textContent = text; }),
    };
  }

  get engine(): SegmentEngine {
    const chosen = document.querySelector<HTMLInputElement>("input[name=engine]:checked")?.value;
    return chosen === "browser" ? this.engines.browser : this.engines.server;
  }

  async init(): Promise<void> {
    await this.viewer.attach($<HTMLCanvasElement>("gl"));
    this.viewer.labelsFor = (t) => this.labels[t];
    this.viewer.onEdited = (t, labels) => this.edited(t, labels);
    this.viewer.onFrameChange = () => this.updateNav();
    this.viewer.onLocation = (_k, text) => { $("location").textContent = text; this.updateNav(); };
    this.viewer.setStyle(this.classNames, this.visible, this.opacity);
    this.buildEngineToggle();
    this.buildLegend();
    this.buildTools();
    this.wireOpen();
    this.wireView();
    this.wireSegment();
    this.wireDownloads();
    if (this.info.data) void this.loadDataList();
    window.addEventListener("pagehide", () => this.opened?.close());
    // The server deletes a study left unused for its TTL; an open page keeps its study alive.
    const ttlMs = this.info.limits.studyTtlMin * 60_000;
    window.setInterval(() => this.opened?.touch(), Math.max(10_000, ttlMs / 3));
  }

  // ---- opening -------------------------------------------------------------------------------

  private wireOpen(): void {
    const zone = $("drop-zone");
    const onFiles = (p: Picked): void => { void this.openUpload(p); };
    for (const id of ["file-input", "folder-input"]) {
      $<HTMLInputElement>(id).addEventListener("change", (e) => {
        const input = e.target as HTMLInputElement;
        onFiles(fromFileList([...(input.files ?? [])]));
        input.value = ""; // choosing the same files again (say, with the other engine) is a new choice
      });
    }
    for (const target of [zone, $("canvas-box")]) {
      target.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
      target.addEventListener("dragleave", () => zone.classList.remove("over"));
      target.addEventListener("drop", (e) => {
        e.preventDefault();
        zone.classList.remove("over");
        if (e.dataTransfer) void fromDrop(e.dataTransfer).then(onFiles);
      });
    }
  }

  /** Opens picked files: read in this page when the model runs in the browser (nothing is sent), else uploaded. */
  async openUpload(p: Picked): Promise<void> {
    if (p.files.length === 0) return this.showError("no files chosen");
    const status = $("upload-status");
    const local = this.engine.kind === "browser";
    status.textContent = local ? `Reading ${p.files.length} file(s) in this browser…` : `Uploading ${p.files.length} file(s)…`;
    try {
      const opened = local
        ? await LocalStudy.open(p.files, p.name)
        : new ServerStudy(await uploadStudy(p.files, p.name, (f) => { status.textContent = `Uploading… ${Math.round(100 * f)} %`; }));
      status.textContent = "";
      await this.load(opened);
    } catch (err) {
      status.textContent = "";
      this.showError(err);
    }
  }

  private async loadDataList(): Promise<void> {
    const panel = $("data-panel");
    try {
      const list = await api.data();
      panel.hidden = false;
      const byPatient = new Map<string, typeof list.cases>();
      for (const c of list.cases) byPatient.set(c.patient, [...(byPatient.get(c.patient) ?? []), c]);
      $("data-list").innerHTML = `<p class="hint">${esc(list.kind)} layout, ${list.cases.length} case(s)</p><table><tbody>${
        [...byPatient.entries()].map(([patient, cases]) => `<tr><td>${esc(patient)}</td><td>${
          cases.map((c) => `<button data-cases="${c.index}" title="${c.labelled ? "with ground truth" : "no ground truth"}">${esc(c.phase)}${c.labelled ? " ✓" : ""}</button>`).join(" ")
        }${cases.length > 1 ? ` <button data-cases="${cases.map((c) => c.index).join(",")}">all</button>` : ""}</td></tr>`).join("")
      }</tbody></table>`;
      $("data-list").addEventListener("click", (e) => {
        const b = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-cases]");
        if (b) void this.openCases(b.dataset.cases!.split(",").map(Number));
      });
    } catch (err) {
      panel.hidden = false;
      $("data-list").innerHTML = `<p class="error">${esc(err instanceof Error ? err.message : String(err))}</p>`;
    }
  }

  async openCases(indices: number[]): Promise<void> {
    try {
      await this.load(new ServerStudy(await api.openCases(indices)));
    } catch (err) {
      this.showError(err);
    }
  }

  private async load(opened: OpenStudy): Promise<void> {
    this.loading = true;
    ($<HTMLButtonElement>("segment")).disabled = true;
    try {
      await this.showStudy(opened);
    } finally {
      this.loading = false;
    }
  }

  private async showStudy(opened: OpenStudy): Promise<void> {
    this.stopCine();
    this.segmenting?.abort();
    this.opened?.close();
    const study = opened.info;
    this.opened = opened;
    this.study = study;
    this.labels = study.frames.map(() => undefined);
    this.complete = study.frames.map(() => false);
    this.truth = study.frames.map(() => undefined);
    this.unsaved.clear();
    this.corrected = false;
    this.override = null;
    this.results = null;
    this.clearError();
    this.refreshResults(); // hides the last study's results and downloads: they are not this one's
    await this.viewer.open(await opened.imageUrl());
    $("empty-hint").hidden = true;
    // A study opened again after segmenting (or a data-set case) may already have labels and truth.
    await Promise.all(study.frames.map(async (_, t) => {
      this.labels[t] = (await opened.savedLabels(t)) ?? undefined;
      this.complete[t] = this.labels[t] !== undefined;
      this.truth[t] = await opened.truth(t);
    }));
    this.viewer.showLabels(this.labels[0]);
    this.viewer.setStyle(this.classNames, this.visible, this.opacity);
    this.setupNav();
    ($<HTMLButtonElement>("segment")).disabled = false;
    if (study.warnings.length > 0) this.showError(study.warnings.join("\n"), "note");
    $("segment-status").textContent = `${study.name}: ${study.dims.join("×")} voxels, ${study.frames.length} frame(s)` +
      (opened.local ? " (read in this browser)" : "");
    this.refreshResults();
  }

  // ---- view ----------------------------------------------------------------------------------

  private wireView(): void {
    $<HTMLInputElement>("opacity").addEventListener("input", (e) => {
      this.opacity = Number((e.target as HTMLInputElement).value);
      this.viewer.setStyle(this.classNames, this.visible, this.opacity);
    });
    $<HTMLSelectElement>("right-drag").addEventListener("change", (e) => this.viewer.setRightDrag((e.target as HTMLSelectElement).value as "contrast" | "pan"));
    $("zoom-in").addEventListener("click", () => this.viewer.zoom(1.25));
    $("zoom-out").addEventListener("click", () => this.viewer.zoom(0.8));
    $("reset-view").addEventListener("click", () => this.viewer.resetView());
    $<HTMLInputElement>("slice-slider").addEventListener("input", (e) => this.viewer.setSlice(Number((e.target as HTMLInputElement).value)));
    $<HTMLInputElement>("frame-slider").addEventListener("input", (e) => this.viewer.setFrame(Number((e.target as HTMLInputElement).value)));
    $("cine-play").addEventListener("click", () => (this.cine === undefined ? this.startCine() : this.stopCine()));
    // Keys anywhere on the page: ↑/↓ slice, ←/→ frame. Taken in the capture phase and stopped, so
    // NiiVue's own canvas handler (←/→ only, and only with the pointer over it) does not step twice.
    document.addEventListener("keydown", (e) => {
      if (!this.study || (e.target as HTMLElement).closest("input, select, textarea")) return;
      const moves: Record<string, () => void> = {
        ArrowUp: () => this.viewer.setSlice(this.viewer.slice() + 1), ArrowDown: () => this.viewer.setSlice(this.viewer.slice() - 1),
        ArrowRight: () => this.viewer.setFrame((this.viewer.frame + 1) % Math.max(1, this.viewer.frames)),
        ArrowLeft: () => this.viewer.setFrame((this.viewer.frame - 1 + this.viewer.frames) % Math.max(1, this.viewer.frames)),
      };
      const move = moves[e.key];
      if (!move) return;
      e.preventDefault();
      e.stopPropagation();
      move();
    }, { capture: true });
  }

  private setupNav(): void {
    const s = $<HTMLInputElement>("slice-slider"), f = $<HTMLInputElement>("frame-slider");
    s.max = String(Math.max(0, this.viewer.sliceCount - 1));
    f.max = String(Math.max(0, this.viewer.frames - 1));
    $("cine-play").toggleAttribute("disabled", this.viewer.frames < 2);
    this.updateNav();
  }

  private updateNav(): void {
    if (!this.study) return;
    const k = this.viewer.slice(), t = this.viewer.frame;
    $<HTMLInputElement>("slice-slider").value = String(k);
    $<HTMLInputElement>("frame-slider").value = String(t);
    $("slice-label").textContent = `${k + 1} / ${this.viewer.sliceCount}`;
    $("frame-label").textContent = `${t + 1} / ${this.viewer.frames} ${this.study.frames[t] ?? ""}`;
  }

  private startCine(): void {
    $("cine-play").textContent = "■ Stop";
    this.cine = window.setInterval(() => this.viewer.setFrame((this.viewer.frame + 1) % this.viewer.frames), 100);
  }

  private stopCine(): void {
    window.clearInterval(this.cine);
    this.cine = undefined;
    $("cine-play").textContent = "▶ Cine";
  }

  private buildEngineToggle(): void {
    const server = document.querySelector<HTMLInputElement>("input[name=engine][value=server]")!;
    const browser = document.querySelector<HTMLInputElement>("input[name=engine][value=browser]")!;
    const reason = this.engines.browser.unavailable;
    browser.disabled = reason !== null;
    $("engine-browser-label").classList.toggle("disabled", reason !== null);
    $("engine-browser-label").title = reason ?? "run the model in this browser: studies opened now are read here and never leave the machine";
    if (this.staticSite) {
      server.disabled = true;
      browser.checked = true;
      $("engine-server-label").classList.add("disabled");
      $("engine-server-label").title = this.engines.server.unavailable ?? "";
    }
    $("model-info").textContent = this.info.model ? `model: ${this.info.model.source}` : "no model loaded (viewer only)";
  }

  private buildLegend(): void {
    $("legend").innerHTML = this.classNames.slice(1).map((name, i) => {
      const [r, g, b] = colorOf(this.classNames, i + 1);
      return `<label class="item"><input type="checkbox" data-class="${i + 1}" checked><span class="swatch" style="background:rgb(${r},${g},${b})"></span>${esc(name)}</label>`;
    }).join("");
    $("legend").addEventListener("change", (e) => {
      const box = e.target as HTMLInputElement;
      this.visible[Number(box.dataset.class)] = box.checked;
      this.viewer.setStyle(this.classNames, this.visible, this.opacity);
    });
  }

  // ---- correcting ----------------------------------------------------------------------------

  private buildTools(): void {
    const tools: { label: string; tool: Tool }[] = [
      { label: "View", tool: { kind: "view" } },
      ...this.classNames.slice(1).map((name, i) => ({ label: `Paint ${name}`, tool: { kind: "paint" as const, value: i + 1 } })),
      { label: "Erase", tool: { kind: "erase" } },
    ];
    const box = $("tools");
    box.innerHTML = tools.map((t, i) => `<button data-tool="${i}" class="${i === 0 ? "active" : ""}">${esc(t.label)}</button>`).join("");
    box.addEventListener("click", (e) => {
      const b = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-tool]");
      if (!b) return;
      box.querySelectorAll("button").forEach((x) => x.classList.toggle("active", x === b));
      this.tool = tools[Number(b.dataset.tool)].tool;
      this.viewer.setTool(this.tool, Number($<HTMLInputElement>("pen-size").value));
    });
    $<HTMLInputElement>("pen-size").addEventListener("input", () => this.viewer.setTool(this.tool, Number($<HTMLInputElement>("pen-size").value)));
    $("undo").addEventListener("click", () => this.viewer.undo());
    $("save-labels").addEventListener("click", () => void this.saveCorrections());
  }

  private edited(frame: number, labels: Uint8Array): void {
    this.labels[frame] = labels;
    this.complete[frame] = true;
    this.unsaved.add(frame);
    this.corrected = true;
    $<HTMLButtonElement>("save-labels").disabled = false;
    this.refreshResults();
  }

  /** Hands corrected (or in-browser segmented) frames to the study: downloads are written from its copy. */
  async saveCorrections(): Promise<void> {
    this.viewer.flushEdits();
    if (!this.opened) return;
    for (const t of [...this.unsaved]) {
      const l = this.labels[t];
      if (l) await this.opened.saveLabels(t, l);
      this.unsaved.delete(t);
    }
    $<HTMLButtonElement>("save-labels").disabled = true;
  }

  // ---- segmenting ----------------------------------------------------------------------------

  private wireSegment(): void {
    $("segment").addEventListener("click", () => void this.segment());
    $("cancel").addEventListener("click", () => this.segmenting?.abort());
  }

  private chosenFrames(): number[] {
    const study = this.study!;
    const choice = $<HTMLSelectElement>("frames-choice").value;
    if (choice === "current") return [this.viewer.frame];
    if (choice === "edes" && study.edEs) return [...new Set([study.edEs.ed, study.edEs.es])];
    return study.frames.map((_, t) => t);
  }

  async segment(): Promise<void> {
    const study = this.study, opened = this.opened;
    if (!study || !opened || this.segmenting || this.loading) return;
    const engine = this.engine;
    if (engine.unavailable) return this.showError(engine.unavailable);
    this.viewer.flushEdits();
    const frames = this.chosenFrames();
    const [nx, ny, nz] = study.dims;
    const plane = nx * ny;
    const total = frames.length * nz;
    let done = 0;
    const started = performance.now();
    const controller = new AbortController();
    this.segmenting = controller;
    const progress = $<HTMLProgressElement>("progress");
    const status = $("segment-status");
    progress.hidden = false;
    progress.value = 0;
    $("cancel").hidden = false;
    ($<HTMLButtonElement>("segment")).disabled = true;
    this.clearError();
    for (const t of frames) { this.labels[t] = new Uint8Array(plane * nz); this.complete[t] = false; this.unsaved.delete(t); }
    if (frames.includes(this.viewer.frame)) this.viewer.showLabels(this.labels[this.viewer.frame]);
    status.textContent = `Segmenting ${frames.length} frame(s) ${engine.label}…`;
    try {
      const r = await engine.segment(opened, frames, {
        onSlice: (s) => {
          this.labels[s.frame]!.set(s.labels, s.slice * plane);
          if (s.frame === this.viewer.frame) this.viewer.showLabels(this.labels[s.frame]);
          progress.value = ++done / total;
          status.textContent = `Frame ${study.frames[s.frame]}: slice ${s.slice + 1}/${s.slices} (${done}/${total})`;
        },
        onFrameDone: (t) => {
          this.complete[t] = true;
          // The server already holds what its engine made; anything else is handed to the study.
          if (engine.kind === "browser") this.unsaved.add(t);
          this.refreshResults();
        },
        onQueued: (ahead) => { status.textContent = `Waiting for ${ahead} other segmentation(s) on the server…`; },
      }, controller.signal);
      this.lastSegmentMs = performance.now() - started;
      status.textContent = `Segmented ${frames.length} frame(s) ${engine.label} in ${(this.lastSegmentMs / 1000).toFixed(1)} s (model ${r.seconds.toFixed(1)} s)`;
    } catch (err) {
      status.textContent = controller.signal.aborted ? "Cancelled" : "Segmentation failed";
      if (!controller.signal.aborted) this.showError(err);
    } finally {
      this.segmenting = null;
      progress.hidden = true;
      $("cancel").hidden = true;
      ($<HTMLButtonElement>("segment")).disabled = this.loading;
      this.refreshResults();
    }
  }

  // ---- results -------------------------------------------------------------------------------

  refreshResults(): void {
    const study = this.study;
    if (!study) return;
    const labels = this.labels.map((l, t) => (this.complete[t] ? l : undefined));
    const res = computeResults(study, this.classNames, labels, this.truth, this.override);
    this.results = res;
    const any = labels.some(Boolean);
    $("results").hidden = !any;
    $("downloads").hidden = !any;
    ($<HTMLButtonElement>("dl-seg")).hidden = study.source !== "dicom";
    if (!any) return;
    this.renderEdEs(study, res);
    const c = res.clinical;
    const row = (key: string, label: string, v: number | null, unit: string): string =>
      `<tr data-index="${key}"><td>${esc(label)}</td><td class="n" data-value="${v ?? ""}">${fmt(v)} ${unit}</td></tr>`;
    $("clinical").innerHTML = c
      ? CLINICAL_ROWS.map((r) => row(r.index, r.label, c[r.index], r.unit)).join("") +
        row("lv_sv_ml", "LV SV", strokeVolume(c, "lv"), "mL") + row("rv_sv_ml", "RV SV", strokeVolume(c, "rv"), "mL")
      : `<tr><td class="hint">EDV, ESV, EF and mass need an ED and an ES frame segmented.</td></tr>`;
    $("volume-chart").innerHTML = study.frames.length > 1 ? volumeChartSvg(res.volumes, 300, 170) : "";
    const structures = this.classNames.slice(1);
    const diceRows = res.dice.flatMap((d, t) => (d ? [`<tr><td>${esc(study.frames[t])}</td>${structures.map((s) => `<td class="n">${fmt(d[s], 3)}</td>`).join("")}</tr>`] : []));
    $("dice").hidden = diceRows.length === 0;
    $("dice").innerHTML = `<tr><th>Dice</th>${structures.map((s) => `<th>${esc(s)}</th>`).join("")}</tr>${diceRows.join("")}`;
  }

  private renderEdEs(study: StudyInfo, res: Results): void {
    const options = study.frames.map((name, t) => `<option value="${t}">${esc(name)}</option>`).join("");
    for (const [id, key] of [["ed-select", "ed"], ["es-select", "es"]] as const) {
      const sel = $<HTMLSelectElement>(id);
      if (sel.dataset.study !== study.id) {
        sel.dataset.study = study.id;
        sel.innerHTML = options;
        sel.onchange = () => {
          this.override = { ed: Number($<HTMLSelectElement>("ed-select").value), es: Number($<HTMLSelectElement>("es-select").value) };
          this.refreshResults();
        };
      }
      if (res.edEs) sel.value = String(res.edEs[key]);
    }
    $("edes-source").textContent = res.edEs ? `(${res.edEs.from})` : "(segment two frames)";
  }

  // ---- downloads -----------------------------------------------------------------------------

  private wireDownloads(): void {
    const frameArg = (): number | undefined => ($<HTMLInputElement>("dl-all-frames").checked ? undefined : this.viewer.frame);
    const study = (what: "labels.nii.gz" | "seg" | "contours.zip") => async (): Promise<void> => {
      if (!this.opened) return;
      try {
        await this.saveCorrections();
        const d = await this.opened.download(what, this.classNames, frameArg());
        saveAs(d.href, d.filename);
        if (d.revoke) setTimeout(d.revoke, 10_000);
      } catch (err) {
        this.showError(err);
      }
    };
    $("dl-nifti").addEventListener("click", () => void study("labels.nii.gz")());
    $("dl-seg").addEventListener("click", () => void study("seg")());
    $("dl-contours").addEventListener("click", () => void study("contours.zip")());
    $("dl-png").addEventListener("click", () => saveAs(this.viewer.snapshot(), `${fileStem(this.study?.name ?? "view")}.png`));
    $("dl-report").addEventListener("click", () => this.downloadReport());
  }

  /** The key slices (mid-ventricle of ED and ES) rendered with their overlay, then the report. */
  downloadReport(): void {
    const study = this.study, res = this.results;
    if (!study || !res) return;
    const { frame, viewer } = { frame: this.viewer.frame, viewer: this.viewer };
    const [i, j, k] = viewer.crosshairVoxel();
    const images: { caption: string; dataUrl: string }[] = [];
    const frames = res.edEs ? [[res.edEs.ed, "ED"], [res.edEs.es, "ES"]] as const : [[frame, study.frames[frame]]] as const;
    viewer.setCrosshairVisible(false);
    for (const [t, tag] of frames) {
      viewer.setFrame(t);
      viewer.goToVoxel(i, j, Math.floor(study.dims[2] / 2));
      images.push({ caption: `${tag} — ${study.frames[t]}, slice ${Math.floor(study.dims[2] / 2) + 1}`, dataUrl: viewer.snapshot() });
    }
    viewer.setCrosshairVisible(true);
    viewer.setFrame(frame);
    viewer.goToVoxel(i, j, k);
    const html = reportHtml({
      studyName: study.name, model: this.info.model?.source ?? "none", frameNames: study.frames, classNames: this.classNames,
      results: res, images, corrected: this.corrected,
    });
    const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
    saveAs(url, `${fileStem(study.name)}_report.html`);
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // ---- messages ------------------------------------------------------------------------------

  showError(err: unknown, kind: "error" | "note" = "error"): void {
    const box = $("error");
    box.hidden = false;
    box.textContent = `${kind === "note" ? "Note: " : ""}${err instanceof Error ? err.message : String(err)}`;
  }

  clearError(): void {
    $("error").hidden = true;
    $("error").textContent = "";
  }
}
