// pytorch.ts drives bench/pytorch_bench.py as a long-lived subprocess (one JSON request per line),
// so cardioseg and PyTorch rounds can alternate without paying Python's start-up each time.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

type Reply = { ok: true; ms?: number[]; torch?: string; threads?: number } | { ok: false; error: string };

// Source folder of the script: dist/bench/pytorch.js -> <root>/bench/pytorch_bench.py
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "pytorch_bench.py");

function findPython(): string | null {
  const candidates = [process.env["CARDIOSEG_PYTHON"], "/usr/bin/python3", "python3"].filter((p): p is string => !!p);
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import torch"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return null;
}

export class PyTorchSide {
  private constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly lines: Interface,
    readonly version: string) {}

  /** Start the Python side with `threads` intra-op threads; null (with the reason) when unavailable. */
  static async start(threads: number): Promise<PyTorchSide | string> {
    const python = findPython();
    if (!python) return "Python with torch not found (tried $CARDIOSEG_PYTHON, /usr/bin/python3, python3): PyTorch side skipped";
    // It inherits our environment, OpenMP's settings included (src/tensor/native.ts sets none).
    const child = spawn(python, [SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    child.stderr.on("data", (d: Buffer) => process.stderr.write(`[pytorch] ${d.toString()}`));
    const lines = createInterface({ input: child.stdout });
    const side = new PyTorchSide(child, lines, "");
    const hello = await side.request({ cmd: "hello", threads });
    if (!hello.ok) {
      side.close();
      return `PyTorch side failed to start: ${hello.error}`;
    }
    return new PyTorchSide(child, lines, `${hello.torch ?? "?"} (${hello.threads ?? "?"} threads)`);
  }

  /** Per-iteration times in ms, or the error message when PyTorch has no such benchmark. */
  async run(name: string, iters: number): Promise<number[] | string> {
    const reply = await this.request({ cmd: "run", name, iters });
    return reply.ok ? reply.ms ?? [] : reply.error;
  }

  private request(req: Record<string, unknown>): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`pytorch_bench.py exited (${code})`));
      this.child.once("exit", onExit);
      this.lines.once("line", (line: string) => {
        this.child.off("exit", onExit);
        resolve(JSON.parse(line) as Reply);
      });
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.child.stdin.end(`${JSON.stringify({ cmd: "quit" })}\n`);
    this.lines.close();
  }
}
