// Installs whatever is missing for cardioseg on this machine, then builds the native addon:
//   1. npm packages (npm ci) when node_modules is absent or older than package-lock.json;
//   2. libtorch: found via LIBTORCH, a Python torch install, or the system; on Debian/Ubuntu as
//      root, `apt-get install libtorch-dev libgloo-dev` when none is found;
//   3. the addon (scripts/build-addon.mjs), rebuilt only when its sources changed;
//   4. Debian's chromium for the web app's browser tests (apt-get as root when missing; without it
//      those tests skip and say why, and `cardioseg serve` itself does not need it).
// Idempotent and quiet when everything is in place. `--no-npm` skips step 1.
import { existsSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { findLibtorch } from "./libtorch.mjs";

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (r.status !== 0) {
    throw new Error(`setup: \`${cmd} ${args.join(" ")}\` failed (exit ${r.status ?? r.signal})`);
  }
}

function ensureNpmPackages() {
  const stale = !existsSync("node_modules/.package-lock.json")
    || statSync("package-lock.json").mtimeMs > statSync("node_modules/.package-lock.json").mtimeMs;
  if (!stale) return;
  console.log("setup: installing npm packages (npm ci)…");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function ensureLibtorch() {
  if (findLibtorch()) return;
  const apt = existsSync("/usr/bin/apt-get");
  if (apt && isRoot()) {
    console.log("setup: libtorch not found; installing Debian's libtorch-dev and libgloo-dev with apt-get…");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    run("apt-get", ["update", "-qq"], { env });
    run("apt-get", ["install", "-y", "-qq", "libtorch-dev", "libgloo-dev"], { env });
    if (findLibtorch()) return;
  }
  throw new Error(
    "setup: libtorch was not found. Install one of:\n" +
      "  - Debian/Ubuntu: sudo apt-get install libtorch-dev libgloo-dev\n" +
      "  - a libtorch download from pytorch.org, then export LIBTORCH=/path/to/libtorch\n" +
      "  - Python PyTorch (pip install torch); its bundled libtorch is used",
  );
}

function findChromium() {
  return [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
}

function ensureChromium() {
  if (findChromium() || !existsSync("/usr/bin/apt-get") || !isRoot()) return;
  console.log("setup: chromium not found; installing Debian's chromium with apt-get (for the browser tests)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    run("apt-get", ["install", "-y", "-qq", "chromium"], { env });
  } catch {
    run("apt-get", ["update", "-qq"], { env });
    run("apt-get", ["install", "-y", "-qq", "chromium"], { env });
  }
}

function ensureAddon() {
  run(process.execPath, ["scripts/build-addon.mjs", "--if-stale"]);
}

try {
  if (!process.argv.includes("--no-npm")) ensureNpmPackages();
  ensureLibtorch();
  ensureAddon();
  ensureChromium();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
