// Process-level engine facts and knobs: live native memory, libtorch threads, CUDA presence, and
// whether the CPU multiplies bfloat16 natively.
import { readFileSync } from "node:fs";
import { N } from "./native.js";

export interface MemoryStats {
  /** Native tensor handles not yet disposed or garbage-collected (whole process). */
  liveTensors: number;
  /** Bytes those handles account for (views count at most their storage). */
  liveBytes: number;
}

export function memoryStats(): MemoryStats {
  return N.memoryStats();
}

/** libtorch's intra-op threads (start-up default: CARDIOSEG_THREADS or every available core). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  N.setNumThreads(n);
}

export function getNumThreads(): number {
  return N.getNumThreads();
}

export function cudaDeviceCount(): number {
  return N.cudaDeviceCount();
}

export function cudaIsAvailable(): boolean {
  return N.cudaDeviceCount() > 0;
}

/** Waits for queued CUDA work (timing); a no-op without CUDA. */
export function cudaSynchronize(device = 0): void {
  N.cudaSynchronize(device);
}

/** libtorch's description of its threading and math backends (OpenMP, oneDNN, MKL). */
export function parallelInfo(): string {
  return N.parallelInfo();
}

/**
 * Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX-BF16, from /proc/cpuinfo's flags).
 * Elsewhere libtorch 1.13 runs bfloat16 convolutions on a slow reference path. `cpuinfo` is for tests.
 */
export function cpuHasNativeBf16(cpuinfo: string | null = readCpuinfo()): boolean {
  return cpuinfo !== null && /^flags\s*:.*\b(avx512_bf16|amx_bf16)\b/m.test(cpuinfo);
}

function readCpuinfo(): string | null {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return null;
  }
}
