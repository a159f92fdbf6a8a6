// phantom.ts owns one synthetic patient end to end: draw its spec from (seed, index), then render
// the ED and ES short-axis stacks into ImageVolume/LabelVolume pairs with ACDC-like geometry.
import { affineFrom, type ImageVolume, type LabelVolume } from "../io/image.js";
import { drawPatient } from "./anatomy.js";
import { GROUPS, type PatientSpec } from "./spec.js";
import { heartSlice, type Phase } from "./heart.js";
import { Random, deriveSeed } from "./random.js";
import { biasField, bodyCoordinates, imageSlice, paintSlice, textureFields, type Coordinates } from "./render.js";
import { sceneShapes } from "./scene.js";

export const DEFAULT_SIZE = 192;
export const MIN_SIZE = 32;
export const MAX_SIZE = 512;

export interface PhantomFrame {
  readonly phase: Phase;
  /** 1-based frame number within the (virtual) cine, as in ACDC file names. */
  readonly frame: number;
  readonly image: ImageVolume<Float32Array>;
  readonly labels: LabelVolume;
}

/** The keys of an ACDC Info.cfg, in its order. */
export interface PhantomInfo {
  readonly ED: number;
  readonly ES: number;
  readonly Group: string;
  readonly Height: number;
  readonly NbFrame: number;
  readonly Weight: number;
}

export interface PhantomCase {
  /** "patient001" for index 0. */
  readonly id: string;
  readonly info: PhantomInfo;
  readonly spec: PatientSpec;
  readonly frames: readonly PhantomFrame[];
}

export function caseId(index: number): string {
  return `patient${String(index + 1).padStart(3, "0")}`;
}

/** Base-apex fraction of every slice of the stack. */
export function sliceFractions(spec: PatientSpec): number[] {
  const { slices, zFirst, zLast } = spec.acquisition;
  return Array.from({ length: slices }, (_, k) => zFirst + ((zLast - zFirst) * k) / (slices - 1));
}

function renderFrame(spec: PatientSpec, phase: Phase, frame: number, coords: readonly [Coordinates, Coordinates], texture: readonly [Float64Array, Float64Array], bias: Float32Array, rng: Random, meta: Record<string, string | number>): PhantomFrame {
  const a = spec.acquisition, n = a.size * a.size;
  const zs = sliceFractions(spec);
  const img = new Float32Array(n * zs.length), lab = new Uint8Array(n * zs.length);
  zs.forEach((z, k) => {
    paintSlice(spec, coords[0], coords[1], sceneShapes(spec, z), heartSlice(spec.heart, z, phase), img, lab, k * n);
    imageSlice(spec, img, k * n, k, texture, bias, rng);
  });
  const spacing = [a.pixel, a.pixel, a.sliceGap];
  const origin = [-((a.size - 1) / 2) * a.pixel, -((a.size - 1) / 2) * a.pixel, 0];
  const affine = affineFrom(spacing, origin, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const dims = [a.size, a.size, zs.length];
  const frameMeta = { ...meta, phase, frame };
  return {
    phase,
    frame,
    image: { data: img, dims, spacing, affine, meta: frameMeta },
    labels: { data: lab, dims: dims.slice(), spacing: spacing.slice(), affine: affine.slice(), meta: { ...frameMeta } },
  };
}

/** Case `index` of the data set of `seed`: independent of how many cases are generated. */
export function generateCase(seed: number, index: number, size = DEFAULT_SIZE): PhantomCase {
  if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) throw new Error(`phantom size must be an integer in [${MIN_SIZE}, ${MAX_SIZE}], got ${size}`);
  const rng = new Random(deriveSeed(seed, index));
  const group = GROUPS[index % GROUPS.length];
  const spec = drawPatient(rng, group, size);
  const id = caseId(index);
  const meta = { source: "cardioseg synth", patient: id, seed, group };
  const bias = biasField(spec), texture = textureFields(spec);
  const heartCoords = bodyCoordinates(spec, spec.acquisition.warp);
  const coords = [bodyCoordinates(spec, spec.acquisition.organWarp, heartCoords), heartCoords] as const;
  const frames = [
    renderFrame(spec, "ED", 1, coords, texture, bias, rng, meta),
    renderFrame(spec, "ES", spec.acquisition.esFrame, coords, texture, bias, rng, meta),
  ];
  const info: PhantomInfo = { ED: 1, ES: spec.acquisition.esFrame, Group: group, Height: spec.height, NbFrame: spec.acquisition.frames, Weight: spec.weight };
  return { id, info, spec, frames };
}

/** Info.cfg text exactly as ACDC writes it ("Height: 184.0"). */
export function formatInfo(info: PhantomInfo): string {
  return [
    `ED: ${info.ED}`,
    `ES: ${info.ES}`,
    `Group: ${info.Group}`,
    `Height: ${info.Height.toFixed(1)}`,
    `NbFrame: ${info.NbFrame}`,
    `Weight: ${info.Weight.toFixed(1)}`,
  ].join("\n") + "\n";
}
