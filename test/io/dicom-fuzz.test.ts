// Bounded fuzzing of the DICOM reader: random byte flips and truncations of fixtures in every
// syntax we decode must give either a consistent volume or an IoError — never another exception,
// a crash, a hang or a giant allocation. Deterministic (seeded) so a failure can be replayed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import dicomParser from "dicom-parser";
import { readDicomBytes } from "../../src/io/dicom/index.js";
import { IoError } from "../../src/io/errors.js";
import { voxelCount } from "../../src/io/image.js";
import { rng } from "../paths.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SAMPLES = join(ROOT, "..", "shared", "data", "dicom-samples");
const SYNTH = join(ROOT, "test", "fixtures", "io", "dicom-synth");
const SHARED_FILES = ["MR_small.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm", "JPEG2000.dcm"];
const ITERATIONS = 112;


function fixtures(): { name: string; bytes: Uint8Array }[] {
  // Copies, not Buffers: Buffer.slice() would share memory and let mutations pile up.
  const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
  const out = [join(SYNTH, "deflated.dcm"), join(SYNTH, "jpeg-baseline.dcm"), join(SYNTH, "jpeg-lossless.dcm"), join(SYNTH, "cine", "a0.dcm"), join(SYNTH, "cine", "a1.dcm")].map((p) => ({ name: p, bytes: read(p) }));
  if (existsSync(SAMPLES)) for (const f of SHARED_FILES) out.push({ name: f, bytes: read(join(SAMPLES, f)) });
  return out;
}

/** Flips land in the first 1 KiB (the header) half of the time, else anywhere; or the file is cut. */
function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  if (rnd() < 0.3) return src.slice(0, Math.floor(rnd() * src.length));
  const out = src.slice();
  const flips = 1 + Math.floor(rnd() * 8);
  for (let i = 0; i < flips; i++) {
    const span = rnd() < 0.5 ? Math.min(1024, out.length) : out.length;
    out[Math.floor(rnd() * span)] = Math.floor(rnd() * 256);
  }
  return out;
}

test(`dicom fuzz: ${ITERATIONS} mutated files give valid volumes or IoErrors`, () => {
  const files = fixtures();
  const rnd = rng(20240607);
  const started = Date.now();
  let errors = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const f = files[i % files.length];
    const bytes = mutate(f.bytes, rnd);
    try {
      const v = readDicomBytes(bytes, `fuzz-${i}-${f.name}`);
      assert.equal(v.data.length, voxelCount(v.dims), `iteration ${i}: data/dims mismatch`);
      assert.ok(v.affine.every((x) => Number.isFinite(x)), `iteration ${i}: non-finite affine`);
    } catch (err) {
      if (!(err instanceof IoError)) assert.fail(`iteration ${i} (${f.name}): ${err instanceof Error ? err.stack : String(err)}`);
      assert.ok(err.message.includes(`fuzz-${i}-`), `iteration ${i}: message names the file: ${err.message}`);
      errors++;
    }
  }
  assert.ok(errors > 0 && errors < ITERATIONS, `both outcomes occur (${errors} errors)`);
  assert.ok(Date.now() - started < 20000, "fuzz loop took too long");
});

test("dicom size fields are checked before allocating", () => {
  const src = new Uint8Array(readFileSync(join(SYNTH, "cine", "b0.dcm")));
  const ds = dicomParser.parseDicom(src);
  const setUs = (bytes: Uint8Array, tag: string, v: number): void => {
    const at = ds.elements[tag].dataOffset;
    bytes[at] = v & 0xff;
    bytes[at + 1] = v >> 8;
  };
  const huge = src.slice();
  setUs(huge, "x00280010", 0xffff);
  setUs(huge, "x00280011", 0xffff);
  assert.throws(() => readDicomBytes(huge, "huge.dcm"), /huge\.dcm: header claims 4294836225 samples/);
  const big = src.slice();
  setUs(big, "x00280010", 1000);
  assert.throws(() => readDicomBytes(big, "big.dcm"), /big\.dcm: truncated pixel data: 40 bytes present, 10000 needed/);
});
