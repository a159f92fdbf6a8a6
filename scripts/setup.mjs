// Installs whatever is missing for cardioseg on this machine, then builds the native addon:
//   1. npm packages (npm ci) when node_modules is absent or older than package-lock.json, with
//      onnxruntime-node's binary download skipped (ONNXRUNTIME_NODE_INSTALL=skip);
//   2. libtorch: found via LIBTORCH, a Python torch install, or the system; on Debian/Ubuntu as
//      root, `apt-get install libtorch-dev libgloo-dev libdnnl-dev` when none is found;
//   3. when the libtorch is the system's, the headers of the addon's optional parts, as root with
//      apt-get: Gloo's (libgloo-dev: the c10d Gloo backend, distributed training on CPU) and oneDNN's
//      (libdnnl-dev: packed inference convolutions, src/nn/packed-conv.ts); the addon is then rebuilt;
//   4. the addon (scripts/build-addon.mjs), rebuilt only when its sources changed;
//   5. test tools from Debian, with apt-get as root: dicom3tools (dciodvfy, the DICOM validator the
//      SEG tests run) and chromium (the web app's browser tests; `cardioseg serve` itself does not
//      need it); elsewhere a note, and those tests skip saying why;
//   6. with `--bench` (`npm run bench`): Debian's python3-torch, python3-torchvision and
//      python3-nibabel, the PyTorch side every bench ratio is measured against (never needed to
//      run cardioseg or its tests).
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
  // onnxruntime-node's install script would download CUDA binaries from outside the npm registry;
  // the CPU binary it ships in the package is the one cardioseg uses.
  run("npm", ["ci", "--no-audit", "--no-fund"], { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" } });
}

function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function ensureLibtorch() {
  if (findLibtorch()) return;
  const apt = existsSync("/usr/bin/apt-get");
  if (apt && isRoot()) {
    console.log("setup: libtorch not found; installing Debian's libtorch-dev, libgloo-dev and libdnnl-dev "
      + "with apt-get…");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    run("apt-get", ["update", "-qq"], { env });
    run("apt-get", ["install", "-y", "-qq", "libtorch-dev", "libgloo-dev", "libdnnl-dev"], { env });
    if (findLibtorch()) return;
  }
  throw new Error(
    "setup: libtorch was not found. Install one of:\n" +
      "  - Debian/Ubuntu: sudo apt-get install libtorch-dev libgloo-dev libdnnl-dev\n" +
      "  - a libtorch download from pytorch.org, then export LIBTORCH=/path/to/libtorch\n" +
      "  - Python PyTorch (pip install torch); its bundled libtorch is used",
  );
}

function onPath(program) {
  return spawnSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" }).status === 0;
}

function pythonHas(module) {
  return spawnSync("/usr/bin/python3", ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;
}

/** Debian packages the tests use, each found by one of its programs. */
const TEST_TOOLS = [
  { pkg: "dicom3tools", present: () => onPath("dciodvfy") }, { pkg: "chromium", present: () => onPath("chromium") },
];
/** Debian packages the bench's PyTorch side uses (bench/*.py). */
const BENCH_TOOLS = [
  { pkg: "python3-torch", present: () => pythonHas("torch") },
  { pkg: "python3-torchvision", present: () => pythonHas("torchvision") },
  { pkg: "python3-nibabel", present: () => pythonHas("nibabel") },
];

function ensureDebianTools(tools, usedBy) {
  const missing = tools.filter((t) => !t.present());
  if (missing.length === 0) return;
  const pkgs = missing.map((t) => t.pkg);
  if (!(existsSync("/usr/bin/apt-get") && isRoot())) {
    console.log(`setup: ${pkgs.join(", ")} not installed (needs root and apt-get); ${usedBy} will skip`);
    return;
  }
  console.log(`setup: installing Debian's ${pkgs.join(", ")} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "-qq", ...pkgs], { stdio: "inherit", env }).status === 0;
  if (install()) return;
  // The package lists may be stale or empty on a fresh machine: refresh them once, then retry.
  run("apt-get", ["update", "-qq"], { env });
  if (!install()) console.log(`setup: could not install ${pkgs.join(", ")}; ${usedBy} will skip`);
}

/** Debian -dev packages whose headers turn on optional parts of the addon when the libtorch is the system's. */
const ADDON_HEADERS = [
  { pkg: "libgloo-dev", header: "/usr/include/gloo/algorithm.h",
    without: "distributed training on CPU will be unavailable" },
  { pkg: "libdnnl-dev", header: "/usr/include/oneapi/dnnl/dnnl.hpp",
    without: "inference will use libtorch's convolutions (no packed oneDNN/Winograd kernels: slower)" },
];

/** Returns true when it installed headers (the addon must then be rebuilt to use them). */
function ensureAddonHeaders() {
  const torch = findLibtorch();
  if (!torch || torch.source !== "system") return false;
  const missing = ADDON_HEADERS.filter((h) => !existsSync(h.header));
  if (missing.length === 0) return false;
  if (!(existsSync("/usr/bin/apt-get") && isRoot())) {
    for (const h of missing) console.log(`setup: ${h.pkg} is missing (needs root): ${h.without}`);
    return false;
  }
  const pkgs = missing.map((h) => h.pkg);
  console.log(`setup: installing Debian's ${pkgs.join(", ")} (optional parts of the addon)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "-qq", ...pkgs], { stdio: "inherit", env }).status === 0;
  if (!install()) {
    run("apt-get", ["update", "-qq"], { env });
    if (!install()) throw new Error(`setup: could not install ${pkgs.join(", ")}`);
  }
  return true;
}

function ensureAddon(force = false) {
  run(process.execPath, ["scripts/build-addon.mjs", ...(force ? [] : ["--if-stale"])]);
}

try {
  if (!process.argv.includes("--no-npm")) ensureNpmPackages();
  ensureLibtorch();
  ensureAddon(ensureAddonHeaders());
  ensureDebianTools(TEST_TOOLS, "the tests that use them");
  // A user who points the bench at their own Python (bench/pytorch.ts reads CARDIOSEG_PYTHON) keeps it.
  if (process.argv.includes("--bench") && !process.env.CARDIOSEG_PYTHON) {
    ensureDebianTools(BENCH_TOOLS, "the bench's PyTorch side");
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
