// web/src/viewer.ts — the image viewer: NiiVue on a WebGL2 canvas showing one study (a 3D volume or
// a 4D cine), with the label map of the shown frame in NiiVue's drawing layer (so the same layer
// that displays the model's RV/MYO/LV is the one the user paints and erases on).
//
// Why NiiVue rather than Cornerstone3D: the page shows volumes the server hands over as NIfTI
// (DICOM series are turned into one there), and NiiVue draws a NIfTI cine with window/level,
// wheel slicing, zoom/pan, frame stepping and a label layer with paint, erase and undo, in one
// small package. Cornerstone3D is built around DICOM image ids and DICOMweb loaders; the same page
// would need its core, tools and segmentation packages and their codec workers wired together.
//
// NiiVue keeps its drawing in "RAS" voxel order (the volume turned to the nearest anatomical
// axes); the page keeps label maps in the file's own voxel order (what the server and every
// cardioseg file use). `rasToNative` maps one to the other, built from the image's own
// img2RASstart/img2RASstep, the same numbers NiiVue uses to save a drawing.
import { Niivue, SLICE_TYPE, DRAG_MODE } from "@niivue/niivue";

export type Rgb = readonly [number, number, number];

/** Overlay colours of the structures (by class name); other classes get the fallback. */
export const STRUCTURE_COLORS: Readonly<Record<string, Rgb>> = { RV: [30, 110, 255], MYO: [30, 200, 70], LV: [255, 40, 30] };
const FALLBACK_COLORS: readonly Rgb[] = [[255, 200, 0], [200, 0, 255], [0, 220, 220]];

export function colorOf(classNames: readonly string[], value: number): Rgb {
  return STRUCTURE_COLORS[classNames[value]] ?? FALLBACK_COLORS[(value - 1) % FALLBACK_COLORS.length];
}

/** Crosshair width in voxels (NiiVue's unit): a thin line at any zoom. */
const CROSSHAIR_WIDTH = 0.15;

export type Tool = { kind: "view" } | { kind: "paint"; value: number } | { kind: "erase" };

interface NiivueLocation {
  string?: string;
  values?: { value: number; vox: number[] }[];
}

interface RasVolume {
  dims: number[];
  permRAS: number[];
  dimsRAS?: number[];
  img2RASstart?: number[];
  img2RASstep?: number[];
  id: string;
  frame4D: number;
  nFrame4D?: number;
}

export class Viewer {
  readonly nv: Niivue;
  /** native index of each RAS (drawing) voxel. */
  private rasToNative = new Int32Array(0);
  private nativeToRas = new Int32Array(0);
  private dims: [number, number, number] = [1, 1, 1];
  private dimsRas: [number, number, number] = [1, 1, 1];
  private edited = false;
  private shownFrame = 0;
  /** The frame's labels were painted on; called before the viewer shows another frame. */
  onEdited: (frame: number, labels: Uint8Array) => void = () => undefined;
  /** The labels to show for a frame (undefined: none yet). */
  labelsFor: (frame: number) => Uint8Array | undefined = () => undefined;
  onFrameChange: (frame: number) => void = () => undefined;
  onLocation: (slice: number, text: string) => void = () => undefined;
  /**
   * NiiVue's last report of the crosshair: per volume the native voxel (from millimetres through
   * the inverse affine, independent of rasToNative) and the image value there.
   */
  location: NiivueLocation | null = null;

  constructor() {
    this.nv = new Niivue({
      backColor: [0, 0, 0, 1], show3Dcrosshair: false, crosshairColor: [1, 0.85, 0, 0.6], crosshairWidth: CROSSHAIR_WIDTH,
      dragAndDropEnabled: false, isRadiologicalConvention: true, isColorbar: false, multiplanarForceRender: false,
      drawingEnabled: false, logLevel: "error",
    });
    this.nv.onFrameChange = (_v, frame) => this.frameChanged(frame);
    // A finished stroke or an undo changes the labels: hand them over at once so volumes and EF follow.
    this.nv.onDrawingChanged = (action) => {
      if (action !== "draw" && action !== "undo") return;
      this.edited = true;
      this.flushEdits();
    };
    this.nv.onLocationChange = (loc) => {
      this.location = loc as NiivueLocation;
      this.onLocation(this.slice(), this.location.string ?? "");
    };
  }

  async attach(canvas: HTMLCanvasElement): Promise<void> {
    await this.nv.attachToCanvas(canvas);
  }

  private get back(): RasVolume {
    const v = this.nv.volumes[0] as unknown as RasVolume & { hdr: { dims: number[] } };
    if (!v) throw new Error("no image open");
    return { ...v, dims: v.hdr.dims };
  }

  get frames(): number {
    return this.nv.volumes[0] ? (this.back.nFrame4D ?? 1) : 0;
  }

  get frame(): number {
    return this.shownFrame;
  }

  /** Opens the study's image (NIfTI URL); shows native slices in the view that holds them. */
  async open(url: string): Promise<void> {
    this.nv.closeDrawing();
    await this.nv.loadVolumes([{ url, name: "image.nii", colormap: "gray" }]);
    this.nv.setInterpolation(true);
    const b = this.back;
    this.dims = [b.dims[1], b.dims[2], b.dims[3]];
    this.buildMaps(b);
    // The native slice axis (k) lies along one anatomical axis: show the view across it.
    const kAxis = Math.abs(b.permRAS[2]);
    this.nv.setSliceType(kAxis === 1 ? SLICE_TYPE.SAGITTAL : kAxis === 2 ? SLICE_TYPE.CORONAL : SLICE_TYPE.AXIAL);
    this.nv.createEmptyDrawing();
    this.shownFrame = 0;
    this.edited = false;
    this.showLabels(undefined);
  }

  private buildMaps(b: RasVolume): void {
    const [nx, ny, nz] = this.dims;
    const n = nx * ny * nz;
    const identity = b.permRAS[0] === 1 && b.permRAS[1] === 2 && b.permRAS[2] === 3;
    const d = identity || !b.dimsRAS ? [0, nx, ny, nz] : b.dimsRAS;
    this.dimsRas = [d[1], d[2], d[3]];
    this.rasToNative = new Int32Array(n);
    this.nativeToRas = new Int32Array(n);
    const start = identity || !b.img2RASstart ? [0, 0, 0] : b.img2RASstart;
    const step = identity || !b.img2RASstep ? [1, nx, nx * ny] : b.img2RASstep;
    let r = 0;
    for (let z = 0; z < d[3]; z++) {
      for (let y = 0; y < d[2]; y++) {
        for (let x = 0; x < d[1]; x++) {
          const native = start[0] + x * step[0] + start[1] + y * step[1] + start[2] + z * step[2];
          this.rasToNative[r] = native;
          this.nativeToRas[native] = r++;
        }
      }
    }
  }

  /** Puts a frame's label map (native order) into the drawing layer; undefined clears it. */
  showLabels(native: Uint8Array | undefined): void {
    const bitmap = this.nv.drawBitmap;
    if (!bitmap) return;
    if (!native) bitmap.fill(0);
    else for (let r = 0; r < bitmap.length; r++) bitmap[r] = native[this.rasToNative[r]];
    this.nv.refreshDrawing(true);
    this.nv.drawAddUndoBitmap();
  }

  /** The drawing layer as a label map in native order. */
  readLabels(): Uint8Array {
    const bitmap = this.nv.drawBitmap;
    const out = new Uint8Array(this.rasToNative.length);
    if (bitmap) for (let r = 0; r < bitmap.length; r++) out[this.rasToNative[r]] = bitmap[r];
    return out;
  }

  /** Hands painted labels of the shown frame to onEdited (before a frame change, a save, a download). */
  flushEdits(): void {
    if (!this.edited) return;
    this.edited = false;
    this.onEdited(this.shownFrame, this.readLabels());
  }

  private frameChanged(frame: number): void {
    this.flushEdits();
    this.shownFrame = frame;
    this.showLabels(this.labelsFor(frame));
    this.edited = false;
    this.onFrameChange(frame);
  }

  setFrame(frame: number): void {
    if (!this.nv.volumes[0] || frame === this.shownFrame || frame < 0 || frame >= this.frames) return;
    this.nv.setFrame4D(this.nv.volumes[0].id, frame);
  }

  /** Label colours; hidden classes are transparent; opacity 0..1 for the whole layer. */
  setStyle(classNames: readonly string[], visible: readonly boolean[], opacity: number): void {
    const R = [0], G = [0], B = [0], A = [0], labels = [""];
    for (let v = 1; v < classNames.length; v++) {
      const [r, g, b] = colorOf(classNames, v);
      R.push(r); G.push(g); B.push(b); A.push(visible[v] ? 255 : 0); labels.push(classNames[v]);
    }
    this.nv.setDrawColormap({ R, G, B, A, labels } as unknown as string);
    this.nv.setDrawOpacity(opacity);
  }

  setTool(tool: Tool, penSize: number): void {
    this.nv.opts.penSize = penSize;
    if (tool.kind === "view") {
      this.nv.setDrawingEnabled(false);
      return;
    }
    this.nv.setDrawingEnabled(true);
    this.nv.setPenValue(tool.kind === "erase" ? 0 : tool.value, false);
  }

  undo(): void {
    this.nv.drawUndo();
  }

  /** Right-button drag: window/level (contrast) or pan; the wheel zooms in pan mode, else scrolls slices. */
  setRightDrag(mode: "contrast" | "pan"): void {
    this.nv.opts.dragMode = mode === "pan" ? DRAG_MODE.pan : DRAG_MODE.contrast;
  }

  zoom(factor: number): void {
    const s = this.nv.scene.pan2Dxyzmm;
    this.nv.scene.pan2Dxyzmm = [s[0], s[1], s[2], Math.min(8, Math.max(0.5, s[3] * factor))];
    this.nv.drawScene();
  }

  resetView(): void {
    this.nv.scene.pan2Dxyzmm = [0, 0, 0, 1];
    const v = this.nv.volumes[0];
    if (v) {
      v.cal_min = v.robust_min;
      v.cal_max = v.robust_max;
      this.nv.updateGLVolume();
    }
    this.nv.drawScene();
  }

  /** Native voxel (i, j, k) under the crosshair. */
  crosshairVoxel(): [number, number, number] {
    const f = this.nv.scene.crosshairPos;
    const [dx, dy, dz] = this.dimsRas;
    const rv = [0, 1, 2].map((a) => Math.min([dx, dy, dz][a] - 1, Math.max(0, Math.round(f[a] * [dx, dy, dz][a] - 0.5))));
    const native = this.rasToNative[rv[0] + dx * (rv[1] + dy * rv[2])] ?? 0;
    const [nx, ny] = this.dims;
    return [native % nx, Math.floor(native / nx) % ny, Math.floor(native / (nx * ny))];
  }

  /** The native slice (k) shown. */
  slice(): number {
    return this.nv.volumes[0] ? this.crosshairVoxel()[2] : 0;
  }

  get sliceCount(): number {
    return this.dims[2];
  }

  /** Moves the crosshair to native voxel (i, j, k) (so the view shows slice k). */
  goToVoxel(i: number, j: number, k: number): void {
    const [nx, ny] = this.dims;
    const r = this.nativeToRas[i + nx * (j + ny * k)];
    const [dx, dy] = this.dimsRas;
    const vox = [r % dx, Math.floor(r / dx) % dy, Math.floor(r / (dx * dy))];
    this.nv.scene.crosshairPos = this.nv.vox2frac(vox as unknown as Parameters<Niivue["vox2frac"]>[0]);
    this.nv.drawScene();
    this.nv.createOnLocationChange();
  }

  /** Shows native slice k, keeping the in-plane position. */
  setSlice(k: number): void {
    const [i, j] = this.crosshairVoxel();
    this.goToVoxel(i, j, Math.min(this.dims[2] - 1, Math.max(0, k)));
  }

  /** Where native voxel (i, j, k) is drawn on the canvas, in CSS pixels; null when not in view. */
  canvasPosOfVoxel(i: number, j: number, k: number): [number, number] | null {
    const [nx, ny] = this.dims;
    const r = this.nativeToRas[i + nx * (j + ny * k)];
    const [dx, dy] = this.dimsRas;
    const frac = this.nv.vox2frac([r % dx, Math.floor(r / dx) % dy, Math.floor(r / (dx * dy))] as unknown as Parameters<Niivue["vox2frac"]>[0]);
    const pos = this.nv.frac2canvasPos(frac);
    if (!pos) return null;
    const dpr = this.nv.uiData.dpr ?? 1;
    return [pos[0] / dpr, pos[1] / dpr];
  }

  setCrosshairVisible(visible: boolean): void {
    this.nv.setCrosshairWidth(visible ? CROSSHAIR_WIDTH : 0);
  }

  /** The canvas as a PNG data URL, drawn now (WebGL keeps no buffer after compositing). */
  snapshot(): string {
    this.nv.drawScene();
    return (this.nv.canvas as HTMLCanvasElement).toDataURL("image/png");
  }
}
