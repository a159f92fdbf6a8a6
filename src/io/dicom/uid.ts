// uid.ts owns the UIDs cardioseg generates for the DICOM objects it writes. All come from one root,
// 2.25 (PS3.5 B.2: "2.25." followed by a UUID written as one unsigned decimal integer), which needs
// no registered organisation root and by construction has no leading zeroes and at most 44
// characters. dcmjs's own uid() is not used: its 39 random digits can exceed a UUID's 128 bits.
import { randomUUID } from "node:crypto";

export const UID_ROOT = "2.25";

/** Our implementation's (0002,0012) Implementation Class UID: one fixed UUID under the same root. */
export const IMPLEMENTATION_CLASS_UID = "2.25.94175027479306891758714148194991328285";
/** (0002,0013) Implementation Version Name (SH, at most 16 characters). */
export const IMPLEMENTATION_VERSION_NAME = "CARDIOSEG_0_1";

const MAX_UUID = (1n << 128n) - 1n;

/** A new UID, 2.25.<random UUID as a decimal integer>. */
export function newUid(): string {
  return `${UID_ROOT}.${BigInt(`0x${randomUUID().replaceAll("-", "")}`).toString()}`;
}

/** PS3.5 9.1: at most 64 characters, numeric components separated by dots, no leading zero in any component. */
export function isValidUid(uid: string): boolean {
  return uid.length <= 64 && uid.split(".").every((c) => /^(0|[1-9][0-9]*)$/.test(c));
}

/** A UID cardioseg generated: valid, under 2.25, and its integer a UUID's (at most 128 bits). */
export function isGeneratedUid(uid: string): boolean {
  const m = /^2\.25\.(0|[1-9][0-9]*)$/.exec(uid);
  return m !== null && isValidUid(uid) && BigInt(m[1]) <= MAX_UUID;
}
