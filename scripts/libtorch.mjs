// Locates libtorch's CMake package folder (the one holding TorchConfig.cmake), in this order:
// $LIBTORCH (a libtorch folder or its cmake dir), a Python torch install, the system.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const SYSTEM_DIRS = ["/usr/lib/x86_64-linux-gnu/cmake/Torch", "/usr/lib/aarch64-linux-gnu/cmake/Torch", "/usr/local/share/cmake/Torch"];

function torchDirIn(root) {
  for (const cand of [root, join(root, "share/cmake/Torch"), join(root, "Torch")]) {
    if (existsSync(join(cand, "TorchConfig.cmake"))) return cand;
  }
  return null;
}

function fromPython() {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(py, ["-c", "import torch.utils; print(torch.utils.cmake_prefix_path)"], { encoding: "utf8" });
    if (r.status === 0) {
      const dir = torchDirIn(r.stdout.trim());
      if (dir) return dir;
    }
  }
  return null;
}

/** @returns {{ torchDir: string, source: string } | null} */
export function findLibtorch() {
  if (process.env.LIBTORCH) {
    const dir = torchDirIn(process.env.LIBTORCH);
    if (!dir) throw new Error(`LIBTORCH=${process.env.LIBTORCH} holds no TorchConfig.cmake (expected a libtorch folder or its share/cmake/Torch)`);
    return { torchDir: dir, source: "LIBTORCH" };
  }
  const py = fromPython();
  if (py) return { torchDir: py, source: "python" };
  for (const d of SYSTEM_DIRS) if (existsSync(join(d, "TorchConfig.cmake"))) return { torchDir: d, source: "system" };
  return null;
}
