// safetensors: round trips of every dtype, the on-disk layout, reading a file laid out by Python's
// writer, atomic writes, and clear errors (naming the file) for truncated or foreign files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromTypedArray, tensor, tidy, type Tensor } from "../../src/tensor/index.js";
import { loadSafetensors, saveSafetensors, encodeSafetensors } from "../../src/tensor/safetensors.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "fixtures", "engine");

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-st-"));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

function values(t: Tensor): number[] {
  return [...t.toFloat32Array()];
}

test("every dtype round-trips with shape and values intact, no temp file left behind", () => withDir((dir) => {
  tidy(() => {
    const src = new Map<string, Tensor>([
      ["f32", tensor([[1.5, -2], [3.25, 1e-7]])],
      ["f16", tensor([0.5, -1, 65504, 6.103515625e-5]).to("float16")],
      ["bf16", tensor([1, -3.140625, 0.0078125]).to("bfloat16")],
      ["i64", fromTypedArray(BigInt64Array.from([-3n, 9007199254740993n]), [2])],
      ["i32", fromTypedArray(Int32Array.from([-5, 2147483647]), [1, 2])],
      ["u8", fromTypedArray(Uint8Array.from([0, 255, 7]), [3])],
      ["bool", tensor([1, 0, 1]).to("bool")],
      ["scalar", tensor([42]).reshape([])],
    ]);
    const path = join(dir, "all.safetensors");
    saveSafetensors(path, src, { epoch: "3" });
    assert.deepEqual(readdirSync(dir), ["all.safetensors"]);
    const { tensors, metadata } = loadSafetensors(path);
    assert.deepEqual(metadata, { epoch: "3" });
    assert.deepEqual([...tensors.keys()], [...src.keys()]);
    for (const [name, t] of src) {
      const back = tensors.get(name) as Tensor;
      assert.equal(back.dtype, t.dtype, `${name} dtype`);
      assert.deepEqual(back.shape, t.shape, `${name} shape`);
      if (t.dtype === "int64") assert.deepEqual(back.toArray(), t.toArray(), name);
      else assert.deepEqual(values(back), values(t), name);
    }
    for (const t of tensors.values()) t.dispose();
  });
}));

test("layout: 8-byte little-endian header length, JSON header, 8-byte aligned data", () => {
  tidy(() => {
    const bytes = Buffer.from(encodeSafetensors({ "a.weight": tensor([1, 2, 3]), b: tensor([4]).to("float16") }));
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
    assert.deepEqual(header["a.weight"], { dtype: "F32", shape: [3], data_offsets: [0, 12] });
    assert.deepEqual(header["b"], { dtype: "F16", shape: [1], data_offsets: [12, 14] });
    assert.equal(bytes.length, 8 + n + 14);
    assert.equal(bytes.readFloatLE(8 + n + 8), 3);
    assert.equal(bytes.readUInt16LE(8 + n + 12), 0x4400); // 4.0 in IEEE half
  });
});

test("reads a file laid out by Python's safetensors writer (all dtypes, scalar, empty)", () => {
  const expected = JSON.parse(readFileSync(join(FIXTURES, "sample.expected.json"), "utf8")) as {
    metadata: Record<string, string>; tensors: Record<string, { shape: number[]; dtype: string; data: number[] }>;
  };
  const { tensors, metadata } = loadSafetensors(join(FIXTURES, "sample.safetensors"));
  assert.deepEqual(metadata, expected.metadata);
  const dtypes: Record<string, string> = { F32: "float32", F16: "float16", BF16: "bfloat16", I64: "int64", I32: "int32", U8: "uint8", BOOL: "bool" };
  for (const [name, e] of Object.entries(expected.tensors)) {
    const t = tensors.get(name) as Tensor;
    assert.ok(t, name);
    assert.equal(t.dtype, dtypes[e.dtype], `${name} dtype`);
    assert.deepEqual(t.shape, e.shape, `${name} shape`);
    assert.deepEqual(values(t), e.data.map((v) => Math.fround(v)), `${name} values`);
  }
  for (const t of tensors.values()) t.dispose();
});

test("truncated, foreign and inconsistent files give clear errors naming the file", () => withDir((dir) => {
  const good = Buffer.from(tidy(() => encodeSafetensors({ w: tensor([1, 2, 3, 4]) })));
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ["empty.safetensors", new Uint8Array(0), /too short/],
    ["truncated.safetensors", good.subarray(0, good.length - 3), /runs past the end/],
    ["header-cut.safetensors", good.subarray(0, 20), /exceeds the file size/],
    ["image.png", Buffer.from("\x89PNG\r\n\x1a\n0000000000000000", "latin1"), /exceeds the file size|not valid JSON/],
  ];
  const mutate = (fn: (h: Record<string, Record<string, unknown>>) => void): Buffer => {
    const n = Number(good.readBigUInt64LE(0));
    const header = JSON.parse(good.subarray(8, 8 + n).toString()) as Record<string, Record<string, unknown>>;
    fn(header);
    const hb = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(hb.length));
    return Buffer.concat([len, hb, good.subarray(8 + n)]);
  };
  cases.push(["dtype.safetensors", mutate((h) => { h["w"]["dtype"] = "C64"; }), /unsupported dtype "C64"/]);
  cases.push(["shape.safetensors", mutate((h) => { h["w"]["shape"] = [5]; }), /needs 20 bytes but its offsets span 16/]);
  cases.push(["offsets.safetensors", mutate((h) => { h["w"]["data_offsets"] = [8, 4]; }), /invalid data_offsets/]);
  for (const [name, bytes, pattern] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    assert.throws(() => loadSafetensors(path), (err: Error) => {
      assert.match(err.message, pattern, name);
      assert.ok(err.message.includes(path), `${name}: message names the file: ${err.message}`);
      return true;
    });
  }
  assert.throws(() => loadSafetensors(join(dir, "missing.safetensors")), /cannot read .*missing\.safetensors/);
}));
