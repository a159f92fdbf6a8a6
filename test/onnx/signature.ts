// signature.ts computes a structural signature of an ONNX model — every node (op, inputs, outputs,
// attribute names with their integer and string values), every initializer's name and dims, the
// graph inputs and outputs, the opset and IR version — as the same text scripts/fixtures/onnx_checker.py
// builds in Python, so a test can tell whether today's export is the graph ONNX's checker passed.
// Float attribute values are left out (their decimal spelling differs between the languages).
import { createHash } from "node:crypto";
import type { ModelProto, ValueInfoProto } from "onnx-buf";
import type { Variant } from "./helpers.js";

export interface FixtureForm { key: string; variant: Variant; folded: boolean }

/** The exports the checker fixture covers: each variant as is, and folded where it says so. */
export function fixtureForms(variants: readonly Variant[]): FixtureForm[] {
  const key = (v: Variant): string => v.name.replaceAll("+", "plus").replaceAll(" ", "_");
  return variants.flatMap((v) => [{ key: key(v), variant: v, folded: false }, ...(v.fold ? [{ key: `${key(v)}_folded`, variant: v, folded: true }] : [])]);
}

function dims(v: ValueInfoProto): string {
  const t = v.type?.value;
  if (!t || t.case !== "tensorType") return "?";
  return (t.value.shape?.dim ?? []).map((d) => (d.value.case === "dimParam" ? d.value.value : String(d.value.value))).join("x");
}

export function signatureText(model: ModelProto): string {
  const g = model.graph!;
  const lines = [`ir ${model.irVersion} opset ${model.opsetImport.map((o) => `${o.domain}:${o.version}`).join(",")}`];
  for (const i of g.input) lines.push(`input ${i.name} ${dims(i)}`);
  for (const o of g.output) lines.push(`output ${o.name} ${dims(o)}`);
  for (const t of g.initializer) lines.push(`init ${t.name} ${t.dataType} ${t.dims.join("x")}`);
  for (const n of g.node) {
    const attrs = [...n.attribute].sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => {
      if (a.type === 2) return `${a.name}=${a.i}`;
      if (a.type === 7) return `${a.name}=${a.ints.join(",")}`;
      if (a.type === 3) return `${a.name}=${new TextDecoder().decode(a.s)}`;
      return a.name;
    });
    lines.push(`node ${n.opType} ${n.name} ${n.input.join(",")} -> ${n.output.join(",")} [${attrs.join(";")}]`);
  }
  return lines.join("\n");
}

export function signature(model: ModelProto): string {
  return createHash("sha256").update(signatureText(model)).digest("hex");
}
