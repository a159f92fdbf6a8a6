// web/src/shims/crypto.ts — node:crypto for the page's bundle: the random UIDs and bytes src/io
// uses (a DICOM SEG's UIDs), from the Web Crypto API, which every browser has.
import { Buffer } from "buffer";

export function randomBytes(n: number): Buffer {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return Buffer.from(out.buffer);
}

/** RFC 4122 version 4 (crypto.randomUUID exists only in secure contexts: HTTPS or localhost). */
export function randomUUID(): string {
  if (typeof globalThis.crypto.randomUUID === "function") return globalThis.crypto.randomUUID();
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function createHash(): never {
  throw new Error("crypto.createHash is not available in the browser");
}

export default { randomBytes, randomUUID, createHash };
