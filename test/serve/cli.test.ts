// `cardioseg serve` as a user starts it: bound beyond loopback (0.0.0.0, a real non-loopback bind,
// so no test-only switch is needed) it generates a token, prints it in its URL, warns that plain
// HTTP carries it unencrypted, and answers 401 to requests without it; with --tls-cert/--tls-key
// it serves HTTPS; bad flags fail with a message naming the flag (the rest of the flag checks are
// in server.test.ts, without a process each).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_MAIN } from "../infer/helpers.js";
import { http } from "./helpers.js";

interface Started { child: ChildProcess; url: string; stderr: () => string }

/** Spawns `cardioseg serve ARGS` and waits for the URL it prints. */
function serve(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI_MAIN, "serve", "--port", "0", "--runs", mkdtempSync(join(tmpdir(), "cardioseg-serve-cli-")), ...args]);
  let out = "", err = "";
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`serve did not start: ${err}`)); }, 60_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /cardioseg serve: (\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1], stderr: () => err }); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${err}`)); });
  });
}

async function stop(s: Started): Promise<number | null> {
  s.child.removeAllListeners("exit");
  const done = new Promise<number | null>((resolve) => s.child.on("exit", (code) => resolve(code)));
  s.child.kill("SIGTERM");
  return done;
}

test("bound beyond loopback, serve generates a token, warns about plain HTTP and answers 401 without it", async () => {
  const s = await serve(["--host", "0.0.0.0"]);
  try {
    const url = new URL(s.url);
    const token = url.searchParams.get("token");
    assert.ok(token && token.length >= 24, `a token in ${s.url}`);
    assert.match(s.stderr(), /plain HTTP beyond loopback/);
    const base = `http://127.0.0.1:${url.port}`;
    for (const path of ["/", "/api/info", "/api/runs", "/app.js", "/api/studies/x/image.nii"]) {
      assert.equal((await http(`${base}${path}`)).status, 401, path);
    }
    assert.equal((await http(`${base}/api/info`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await http(`${base}/?token=${token}`)).status, 303);
  } finally {
    assert.equal(await stop(s), 0, "SIGTERM stops the server cleanly");
  }
});

test("with --tls-cert and --tls-key the server speaks HTTPS", { skip: spawnSync("openssl", ["version"]).status === 0 ? false : "openssl not installed" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-tls-"));
  const cert = join(dir, "cert.pem"), key = join(dir, "key.pem");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const s = await serve(["--tls-cert", cert, "--tls-key", key]);
  try {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const status = await new Promise<number>((resolve, reject) => {
      request(`${s.url}api/info`, { rejectUnauthorized: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on("error", reject).end();
    });
    assert.equal(status, 200);
  } finally {
    await stop(s);
  }
});

test("bad flags fail with a message naming the flag", () => {
  for (const [args, message] of [
    [["--port", "70000"], /--port/], [["--data", "/no/such/folder"], /--data \/no\/such\/folder: no such folder/],
    [["--static-site", join(tmpdir(), "cardioseg-no-site")], /--static-site needs --model/],
    [["--static-site", join(tmpdir(), "cardioseg-no-site"), "--model", "/no/such/run"], /\/no\/such\/run: no such run folder or checkpoint/],
  ] as const) {
    const r = spawnSync(process.execPath, [CLI_MAIN, "serve", ...args], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
