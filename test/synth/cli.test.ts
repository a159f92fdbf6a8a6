// Tests of `cardioseg synth` as a user runs it: files appear in the ACDC layout, bad flags fail
// with a message naming the flag and a non-zero exit status.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function cardioseg(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

test("cardioseg synth writes patients, Info.cfg and previews", (t) => {
  const dir = tempDir("cli");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = cardioseg("synth", "--out", dir, "--cases", "2", "--seed", "9", "--size", "48", "--preview");
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /wrote 2 patients/);
  const info = readFileSync(join(dir, "patient002", "Info.cfg"), "utf8");
  assert.match(info, /^ED: 1\nES: \d+\nGroup: DCM\nHeight: \d+\.\d\nNbFrame: \d+\nWeight: \d+\.\d\n$/);
  const es = Number(/ES: (\d+)/.exec(info)?.[1]);
  const stem = join(dir, "patient002", `patient002_frame${String(es).padStart(2, "0")}`);
  assert.ok(existsSync(`${stem}.nii.gz`) && existsSync(`${stem}_gt.nii.gz`));
  assert.ok(existsSync(join(dir, "preview", "patient001.png")));
});

test("cardioseg synth rejects bad flags with a clear message", () => {
  const r = cardioseg("synth", "--out", "/tmp/never-written", "--cases", "two");
  assert.equal(r.status, 1);
  assert.match(r.out, /--cases must be a non-negative integer, got "two"/);
  const s = cardioseg("synth", "--out", "/tmp/never-written", "--size", "9");
  assert.equal(s.status, 1);
  assert.match(s.out, /--size must be an integer in \[32, 512\] pixels, got 9/);
});
