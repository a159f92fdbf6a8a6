// enospc-preload.ts — loaded with `node --import` into a `cardioseg train` child by the full-disk
// test: once CARDIOSEG_TEST_ENOSPC_AFTER temp files (the ones writeFileAtomic opens) have been
// written, every further write to a temp file fails with ENOSPC, as on a disk that just filled up.
// A tmpfs may be refused in the sandbox (decisions.md), so the error is injected instead.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const budget = Number(process.env.CARDIOSEG_TEST_ENOSPC_AFTER ?? "Infinity");
const tempFds = new Set<number>();
let opened = 0;
const realOpen = fs.openSync, realWrite = fs.writeSync;

fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
  const fd = (realOpen as (...a: unknown[]) => number)(path, ...rest);
  if (String(path).endsWith(".tmp")) {
    tempFds.add(fd);
    opened++;
  }
  return fd;
}) as typeof fs.openSync;

fs.writeSync = ((fd: number, ...rest: unknown[]) => {
  if (tempFds.has(fd) && opened > budget) {
    const err = new Error("ENOSPC: no space left on device, write") as NodeJS.ErrnoException;
    err.code = "ENOSPC";
    err.errno = -28;
    err.syscall = "write";
    throw err;
  }
  return (realWrite as (...a: unknown[]) => number)(fd, ...rest);
}) as typeof fs.writeSync;

syncBuiltinESMExports();
