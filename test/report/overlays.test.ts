// writeCaseOverlays: the pair lands where the report looks for it, same slices and window, and
// differs exactly where prediction and truth differ.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { writeCaseOverlays } from "../../src/report/overlays.js";
import { readRunFolder } from "../../src/report/run-folder.js";
import { labelVolume, paint } from "../eval/helpers.js";

test("overlay pair: same geometry, found by the run folder reader, differing only where labels differ", () => {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-ov-"));
  try {
    const dims = [16, 12, 9], sp = [1, 1, 5];
    const truth = labelVolume(paint(dims, [{ kind: "ellipsoid", label: 3, center: [8, 6, 4], radii: [4, 3, 2.5] }]), dims, sp);
    const pred = labelVolume(truth.data.map((v, i) => (i % 16 < 8 ? v : 0)), dims, sp);
    const image = { ...truth, data: Float32Array.from(truth.data, (v, i) => v * 100 + (i % 7)) };
    const out = writeCaseOverlays(dir, "c1", image, pred, truth, { maxSlices: 4, columns: 2 });
    const [p, g] = [PNG.sync.read(readFileSync(out.pred)), PNG.sync.read(readFileSync(out.gt))];
    // Truth spans slices 2..6 (5 slices) -> thinned to 4 tiles in a 2x2 mosaic with 2-pixel gaps.
    assert.deepEqual([p.width, p.height, g.width, g.height], [34, 26, 34, 26]);
    let differ = 0, differLeft = 0;
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 16; x++) {
        const o = (y * 34 + x) * 4;
        if (p.data[o] !== g.data[o] || p.data[o + 1] !== g.data[o + 1]) { differ++; if (x < 7) differLeft++; }
      }
    }
    assert.ok(differ > 5, "the right half of the LV is missing from the prediction");
    assert.equal(differLeft, 0, "the left half is identical");
    writeFileSync(join(dir, "metrics.jsonl"), '{"iter":1,"loss":1}\n');
    const run = readRunFolder(dir);
    assert.equal(run.overlay("c1", "pred"), out.pred);
    assert.equal(run.overlay("c1", "gt"), out.gt);
    assert.equal(run.overlay("c2", "gt"), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
