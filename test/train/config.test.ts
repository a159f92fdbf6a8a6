// Experiment configs: presets resolve, key=value overrides, clear errors naming the key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyOverrides, loadConfigFile, parseOverride } from "../../src/train/config.js";

const preset = (name: string): string => new URL(`../../../configs/${name}`, import.meta.url).pathname;

test("seed-deeplabv3.yaml is the founding recipe", () => {
  const c = loadConfigFile(preset("seed-deeplabv3.yaml"));
  assert.equal(c.model.backbone, 101);
  assert.equal(c.model.numClasses, 2); // contour task: band vs everything else
  assert.deepEqual(c.model.multiGrid, [1, 2, 4]);
  assert.equal(c.train.batchSize, 2);
  assert.equal(c.optim.lr, 2.5e-4);
  assert.equal(c.optim.momentum, 0.9);
  assert.equal(c.optim.weightDecay, 5e-4);
  assert.equal(c.optim.headLrMult, 10);
  assert.equal(c.schedule.kind, "two_phase");
  assert.equal(c.schedule.constantIters, 15000);
  assert.equal(c.train.iterations, 25000);
});

test("every preset loads", () => {
  for (const name of ["seed-deeplabv3.yaml", "acdc-cpu.yaml", "demo.yaml", "test-tiny.yaml"]) loadConfigFile(preset(name));
  assert.equal(loadConfigFile(preset("acdc-cpu.yaml")).model.numClasses, 4);
});

test("dotted key=value overrides with YAML values", () => {
  const c = loadConfigFile(preset("demo.yaml"), ["optim.lr=1e-3", "model.multiGrid=[1,2]", "data.trainPatients=001-080", "data.augment=false", "schedule.kind=constant"]);
  assert.equal(c.optim.lr, 1e-3);
  assert.deepEqual(c.model.multiGrid, [1, 2]);
  assert.equal(c.data.trainPatients, "001-080");
  assert.equal(c.data.augment.enabled, false, "data.augment=false switches the section off");
  assert.equal(applyOverrides(c, ["model.multiGrid=null"]).model.multiGrid, null);
  assert.deepEqual(parseOverride("a.b=3"), { a: { b: 3 } });
});

test("unknown keys and bad values are clear errors naming the key", () => {
  assert.throws(() => loadConfigFile(preset("demo.yaml"), ["optim.lrr=1"]), /unknown config key "optim\.lrr".*known keys under optim: lr/);
  assert.throws(() => loadConfigFile(preset("demo.yaml"), ["train.iterations=many"]), /"train\.iterations" must be a number/);
  assert.throws(() => loadConfigFile(preset("demo.yaml"), ["model.backbone=77"]), /"model\.backbone" must be one of 18, 34, 50, 101/);
  assert.throws(() => loadConfigFile(preset("demo.yaml"), ["precision=fp16"]), /"precision" must be one of float32, bf16-mixed/);
  assert.throws(() => loadConfigFile(preset("demo.yaml"), ["model.numClasses=3"]), /numClasses" is 3 but task "regions" has 4/);
  assert.throws(() => loadConfigFile(preset("demo.yaml"), ["lr"]), /not a key=value/);
  const dir = mkdtempSync(join(tmpdir(), "cfg-"));
  const file = join(dir, "bad.yaml");
  writeFileSync(file, "model:\n  backbone: 18\n  widht: 8\n");
  assert.throws(() => loadConfigFile(file), (e: Error) => e.message.includes(file) && e.message.includes('"model.widht"'));
  assert.throws(() => loadConfigFile(join(dir, "missing.yaml")), /cannot read the config file/);
});
