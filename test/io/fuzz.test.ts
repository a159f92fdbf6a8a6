// Bounded fuzzing of the NIfTI and PNG readers: random byte flips (mostly in the header) and
// truncations of each fixture must give either a valid volume or an IoError — never another
// exception, a hang or a giant allocation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { decodeNifti } from "../../src/io/nifti/index.js";
import { decodePng, encodePngRgba } from "../../src/io/png.js";
import { IoError } from "../../src/io/errors.js";
import { voxelCount, type ImageVolume } from "../../src/io/image.js";
import { FIXTURES, SHARED, rng } from "./helpers.js";

function niftiFixtures(): string[] {
  const samples = join(SHARED, "nifti-samples");
  const shared = existsSync(samples) ? readdirSync(samples).sort().map((n) => join(samples, n)) : [];
  const acdc = join(SHARED, "acdc/training/patient001/patient001_frame01_gt.nii.gz");
  const synthetic = readdirSync(join(FIXTURES, "synthetic")).sort().map((n) => join(FIXTURES, "synthetic", n));
  return [...shared, ...(existsSync(acdc) ? [acdc] : []), ...synthetic];
}

function assertValid(v: ImageVolume, what: string): void {
  assert.ok(v.dims.every((d) => Number.isInteger(d) && d >= 1), `${what}: dims ${v.dims}`);
  assert.equal(v.data.length, voxelCount(v.dims), `${what}: voxel count`);
  assert.ok(v.affine.every(Number.isFinite), `${what}: affine`);
}

function expectTypedOutcome(decode: () => ImageVolume, what: string): "ok" | "error" {
  try {
    assertValid(decode(), what);
    return "ok";
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.ok(err instanceof IoError, `${what}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return "error";
  }
}

function mutate(bytes: Uint8Array, random: () => number, headerBytes: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const flips = 1 + Math.floor(random() * 6);
  for (let f = 0; f < flips; f++) {
    const span = random() < 0.8 ? Math.min(headerBytes, out.length) : out.length;
    const at = Math.floor(random() * span);
    out[at] = random() < 0.5 ? out[at] ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
  }
  return out;
}

test("fuzzed NIfTI files give a valid volume or an IoError", () => {
  const files = niftiFixtures();
  const random = rng(20240601);
  const outcomes = { ok: 0, error: 0 };
  const iterations = 120;
  for (let it = 0; it < iterations; it++) {
    const file = files[it % files.length];
    const original = readFileSync(file);
    const gz = original[0] === 0x1f && original[1] === 0x8b;
    const raw = gz ? gunzipSync(original) : original;
    const mode = it % 4;
    let bytes: Uint8Array;
    if (mode === 0 || mode === 1) {
      const m = mutate(raw, random, 560);
      bytes = gz && mode === 1 ? gzipSync(m, { level: 1 }) : m;
    } else if (mode === 2) {
      bytes = original.subarray(0, Math.floor(random() * original.length));
    } else {
      bytes = mutate(original, random, original.length);
    }
    outcomes[expectTypedOutcome(() => decodeNifti(bytes, `${file}#${it}`), `${file} iteration ${it}`)]++;
  }
  // Both outcomes must occur, or the fuzzing is not reaching the decoder.
  assert.ok(outcomes.ok > 0 && outcomes.error > 0, JSON.stringify(outcomes));
});

test("fuzzed PNGs give a valid volume or an IoError", () => {
  const random = rng(7);
  const width = 23, height = 17;
  const rgba = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 37) & 255);
  const png = encodePngRgba({ width, height, rgba });
  for (let it = 0; it < 60; it++) {
    const bytes = it % 3 === 0 ? png.subarray(0, Math.floor(random() * png.length)) : mutate(png, random, it % 3 === 1 ? 40 : png.length);
    expectTypedOutcome(() => decodePng(Buffer.from(bytes), `fuzz#${it}.png`), `png iteration ${it}`);
  }
});
