// The fuzzer inside `npm test`: every saved regression input (test/fixtures/fuzz/*.json, written by
// `npm run fuzz` when it finds a failure, plus the failures of issue 13) replayed in-process, and
// a short fixed budget of new generated cases per target (fixed seed, so the run is repeatable).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES, formatStats, runCampaign } from "./main.js";
import { isFailure, runCase } from "./run.js";
import { TARGETS, decodeCase, targetNamed } from "./targets.js";

const fixtures = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).sort() : [];

test(`${fixtures.length} saved hostile inputs each give a clear error or a right answer`, () => {
  assert.ok(fixtures.length > 0, `no regression inputs in ${FIXTURES}`);
  const root = mkdtempSync(join(tmpdir(), "cardioseg-replay-"));
  try {
    for (const name of fixtures) {
      const saved = JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as { target: string; files: Parameters<typeof decodeCase>[0] };
      const report = runCase(targetNamed(saved.target), decodeCase(saved.files), root);
      assert.ok(!isFailure(report.outcome), `${name}: ${report.outcome}: ${report.message}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a short fixed fuzzing budget finds no crash, hang, memory blow-up, wrong answer or unnamed error", { timeout: 15 * 60_000 }, async () => {
  const result = await runCampaign({ batches: 1, runs: 8, seed: 20250601, targets: TARGETS.map((t) => t.name) });
  process.stdout.write(`${formatStats(result).split("\n").map((l) => `# ${l}`).join("\n")}\n`);
  assert.deepEqual(result.failures.map((f) => `${f.target} ${f.outcome}: ${f.message.slice(0, 300)}`), []);
  for (const [target, s] of Object.entries(result.stats)) assert.ok(s.runs >= 8, `${target}: only ${s.runs} cases ran`);
});
