// Builds the native addon (native/ -> native/build/cardioseg_native.node) with CMake against the
// libtorch that scripts/libtorch.mjs finds. `--if-stale` skips the build when the .node is newer
// than every source file and CMakeLists.txt. CARDIOSEG_BUILD_JOBS overrides the parallelism (2).
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { findLibtorch } from "./libtorch.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = join(root, "native");
const buildDir = join(nativeDir, "build");
const output = join(buildDir, "cardioseg_native.node");

function newestSourceMtime() {
  let newest = statSync(join(nativeDir, "CMakeLists.txt")).mtimeMs;
  for (const name of readdirSync(join(nativeDir, "src"))) {
    newest = Math.max(newest, statSync(join(nativeDir, "src", name)).mtimeMs);
  }
  return newest;
}

function isStale() {
  return !existsSync(output) || statSync(output).mtimeMs < newestSourceMtime();
}

function nodeIncludeDir() {
  const candidates = [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node"];
  const found = candidates.find((d) => existsSync(join(d, "node_api.h")));
  if (!found) throw new Error(`build-addon: Node's C headers (node_api.h) not found in ${candidates.join(" or ")}`);
  return found;
}

function addonApiDir() {
  const require = createRequire(join(root, "package.json"));
  try {
    return require("node-addon-api").include_dir.replace(/^"|"$/g, "");
  } catch {
    throw new Error("build-addon: node-addon-api is not installed (run `npm ci` first)");
  }
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.error) throw new Error(`build-addon: could not run ${cmd}: ${r.error.message} (is it installed?)`);
  if (r.status !== 0) throw new Error(`build-addon: \`${cmd} ${args.join(" ")}\` failed (exit ${r.status ?? r.signal})`);
}

function build() {
  const torch = findLibtorch();
  if (!torch) throw new Error("build-addon: libtorch not found (run `node scripts/setup.mjs`, or set LIBTORCH)");
  const apiDir = resolve(root, addonApiDir());
  console.log(`build-addon: building native addon against libtorch at ${torch.torchDir} (${torch.source})…`);
  run("cmake", [
    "-S", nativeDir, "-B", buildDir, "-DCMAKE_BUILD_TYPE=Release",
    `-DTorch_DIR=${torch.torchDir}`, `-DNODE_INCLUDE_DIR=${nodeIncludeDir()}`, `-DNODE_ADDON_API_DIR=${apiDir}`,
  ]);
  const jobs = process.env.CARDIOSEG_BUILD_JOBS ?? "2";
  run("cmake", ["--build", buildDir, "--config", "Release", "-j", jobs]);
  if (!existsSync(output)) throw new Error(`build-addon: the build finished but ${output} is missing`);
  console.log(`build-addon: built ${output}`);
}

try {
  if (process.argv.includes("--if-stale") && !isStale()) process.exit(0);
  build();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
