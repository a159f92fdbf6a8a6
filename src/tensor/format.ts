// Tensor.toString: prints exactly like PyTorch's repr (torch/_tensor_str.py with default print
// options: precision 4, threshold 1000, edgeitems 3, linewidth 80), e.g. `tensor([[1., 2.]])`.
import type { Tensor } from "./tensor.js";
import { isFloatingDType, type DType } from "./dtype.js";

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE = 3;
const LINEWIDTH = 80;

type Value = number | bigint;

/** Python's "{:.Nf}" (round half to even on the exact binary value). */
function fixed(v: number, digits: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const scale = 10 ** digits;
  const scaled = Math.abs(v) * scale;
  let s: string;
  if (scaled % 1 === 0.5) {
    const lower = Math.floor(scaled);
    const even = lower % 2 === 0 ? lower : lower + 1;
    s = (even / scale).toFixed(digits);
  } else {
    s = Math.abs(v).toFixed(digits);
  }
  const negative = v < 0 || Object.is(v, -0);
  return negative ? `-${s}` : s;
}

/** Python's "{:.Ne}": two-digit exponent with sign. */
function scientific(v: number, digits: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const [mant, exp] = v.toExponential(digits).split("e");
  const sign = exp.startsWith("-") ? "-" : "+";
  const digitsOnly = exp.replace(/^[-+]/, "");
  return `${mant}e${sign}${digitsOnly.padStart(2, "0")}`;
}

class Formatter {
  private intMode = true;
  private sciMode = false;
  width = 1;

  constructor(private readonly floating: boolean, private readonly isBool: boolean, values: Value[]) {
    if (!floating) {
      for (const v of values) this.width = Math.max(this.width, this.plain(v).length);
      return;
    }
    const finite = (values as number[]).filter((v) => Number.isFinite(v) && v !== 0);
    if (finite.length === 0) return;
    const abs = finite.map(Math.abs);
    const lo = abs.reduce((m, v) => Math.min(m, v), Infinity), hi = abs.reduce((m, v) => Math.max(m, v), 0);
    this.intMode = finite.every((v) => v === Math.ceil(v));
    const wide = hi / lo > 1000 || hi > 1e8;
    if (this.intMode) {
      this.sciMode = wide;
      for (const v of finite) {
        this.width = Math.max(this.width, wide ? scientific(v, PRECISION).length : fixed(v, 0).length + 1);
      }
    } else {
      this.sciMode = wide || lo < 1e-4;
      for (const v of finite) {
        this.width = Math.max(this.width, (this.sciMode ? scientific(v, PRECISION) : fixed(v, PRECISION)).length);
      }
    }
  }

  private plain(v: Value): string {
    if (this.isBool) return v ? "True" : "False";
    return String(v);
  }

  format(v: Value): string {
    let s: string;
    if (!this.floating) s = this.plain(v);
    else if (this.sciMode) s = scientific(v as number, PRECISION);
    else if (this.intMode) s = fixed(v as number, 0) + (Number.isFinite(v as number) ? "." : "");
    else s = fixed(v as number, PRECISION);
    return s.padStart(this.width, " ");
  }
}

/** Indices shown along a dimension of size n. */
function shownIndices(n: number, summarize: boolean): number[] | null {
  if (!summarize || n <= 2 * EDGE) return null;
  return [0, 1, 2, n - 3, n - 2, n - 1];
}

class Printer {
  private readonly strides: number[];

  constructor(private readonly data: ArrayLike<Value>, private readonly shape: number[], private readonly summarize: boolean,
    private readonly fmt: Formatter | null) {
    this.strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  }

  /** The values the formatter sizes itself on (PyTorch's get_summarized_data). */
  summarizedValues(d = 0, offset = 0, out: Value[] = []): Value[] {
    if (this.shape.length === 0) {
      out.push(this.data[0]);
      return out;
    }
    const n = this.shape[d];
    const idx = shownIndices(n, this.summarize) ?? Array.from({ length: n }, (_, i) => i);
    for (const i of idx) {
      const off = offset + i * this.strides[d];
      if (d === this.shape.length - 1) out.push(this.data[off]);
      else this.summarizedValues(d + 1, off, out);
    }
    return out;
  }

  render(d: number, offset: number, indent: number): string {
    const fmt = this.fmt as Formatter;
    if (this.shape.length === 0) return fmt.format(this.data[0]);
    const n = this.shape[d];
    const shown = shownIndices(n, this.summarize);
    if (d === this.shape.length - 1) {
      const cell = (i: number): string => fmt.format(this.data[offset + i * this.strides[d]]);
      const cells = shown === null
        ? Array.from({ length: n }, (_, i) => cell(i))
        : [cell(0), cell(1), cell(2), " ...", cell(n - 3), cell(n - 2), cell(n - 1)];
      const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (fmt.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < cells.length; i += perLine) lines.push(cells.slice(i, i + perLine).join(", "));
      return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
    }
    const sub = (i: number): string => this.render(d + 1, offset + i * this.strides[d], indent + 1);
    const slices = shown === null
      ? Array.from({ length: n }, (_, i) => sub(i))
      : [sub(0), sub(1), sub(2), "...", sub(n - 3), sub(n - 2), sub(n - 1)];
    const rank = this.shape.length - d;
    return "[" + slices.join("," + "\n".repeat(rank - 1) + " ".repeat(indent + 1)) + "]";
  }
}

function addSuffixes(body: string, suffixes: string[], indent: number): string {
  const parts = [body];
  let lastLineLen = body.length - body.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLineLen + s.length + 2 > LINEWIDTH) {
      parts.push(",\n" + " ".repeat(indent) + s);
      lastLineLen = indent + s.length;
    } else {
      parts.push(", " + s);
      lastLineLen += s.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

const DEFAULT_DTYPES: ReadonlySet<DType> = new Set<DType>(["float32", "int64", "bool"]);

export function formatTensor(t: Tensor): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const suffixes: string[] = [];
  const shape = t.shape;
  const dtype = t.dtype;
  if (t.device !== "cpu") suffixes.push(`device='${t.device}'`);
  let body: string;
  if (t.numel() === 0) {
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(", ")})`);
    if (dtype !== "float32") suffixes.push(`dtype=torch.${dtype}`);
    body = "[]";
  } else {
    if (!DEFAULT_DTYPES.has(dtype)) suffixes.push(`dtype=torch.${dtype}`);
    const data = t.toArray() as ArrayLike<Value>;
    const summarize = t.numel() > THRESHOLD;
    const probe = new Printer(data, shape, summarize, null);
    const fmt = new Formatter(isFloatingDType(dtype), dtype === "bool", probe.summarizedValues());
    body = new Printer(data, shape, summarize, fmt).render(0, 0, indent);
  }
  const gradFn = t.gradFn;
  if (gradFn !== null) suffixes.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) suffixes.push("requires_grad=True");
  return addSuffixes(prefix + body, suffixes, indent);
}
