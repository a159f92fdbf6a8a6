// `npm run faults`: the full training-fault campaign — kill -9 at 20 random moments (each followed
// by a resume), the full-disk runs and the unreadable data case — against the compiled tests.
// `npm test` runs the same tests with 3 kills. Options: --kills N, --seed S.
import { spawnSync } from "node:child_process";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const env = { ...process.env, CARDIOSEG_FAULT_KILLS: arg("--kills", "20"), CARDIOSEG_FAULT_SEED: arg("--seed", String(Date.now() % 1e9)) };
console.log(`faults: ${env.CARDIOSEG_FAULT_KILLS} kills, seed ${env.CARDIOSEG_FAULT_SEED}`);
const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "dist/test/train/faults.test.js"], { stdio: "inherit", env });
process.exit(r.status ?? 1);
