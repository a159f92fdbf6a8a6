// test/optim — SGD (momentum, dampening, nesterov, weight decay), Adam (weight decay, AMSGrad) and
// AdamW: two steps with two parameter groups (the second with its own lr) vs PyTorch 1.13 (Adam and
// AdamW through their fused step), the optimiser state surviving a safetensors round trip, and the
// foreach and fused steps against the per-parameter ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { foreach, Generator, randn, tidy, type Tensor } from "../../src/tensor/index.js";
import { loadSafetensors, saveSafetensors } from "../../src/tensor/safetensors.js";
import { Adam, AdamW, SGD, type Optimizer, type OptimizerMeta, type Hyper, type SGDHyper } from "../../src/optim/index.js";
import { assertClose, loadCases, tensorOf, type Encoded } from "../engine-reference/fixtures.js";

interface OptCase {
  name: string; optimizer: "SGD" | "Adam" | "AdamW"; group1_lr: number;
  hyper: { lr: number; momentum?: number; dampening?: number; weight_decay?: number; nesterov?: boolean; betas?: [number, number]; eps?: number; amsgrad?: boolean };
  p0: Encoded; q0: Encoded; grads: Array<{ p: Encoded; q: Encoded }>; after: Array<{ p: Encoded; q: Encoded }>;
}

function makeOptimizer(c: OptCase, p: Tensor, q: Tensor): Optimizer<Hyper> {
  const h = c.hyper;
  const groups = [{ params: [p] }, { params: [q], lr: c.group1_lr }];
  const common = { lr: h.lr, weightDecay: h.weight_decay ?? 0 };
  if (c.optimizer === "SGD") {
    return new SGD(groups, { ...common, momentum: h.momentum ?? 0, dampening: h.dampening ?? 0, nesterov: h.nesterov ?? false }) as unknown as Optimizer<Hyper>;
  }
  const Ctor = c.optimizer === "Adam" ? Adam : AdamW;
  return new Ctor(groups, { ...common, betas: h.betas ?? [0.9, 0.999], eps: h.eps ?? 1e-8, amsgrad: h.amsgrad ?? false }) as unknown as Optimizer<Hyper>;
}

/** Give p and q exactly the recorded gradients (backward of sum(p * g) is g). */
function setGrads(p: Tensor, q: Tensor, g: { p: Encoded; q: Encoded }): void {
  p.zeroGrad();
  q.zeroGrad();
  tidy(() => p.mul(tensorOf(g.p)).sum().add(q.mul(tensorOf(g.q)).sum()).backward());
}

const cases = loadCases<OptCase>("optim");

for (const c of cases) {
  test(`${c.name}: two steps match PyTorch`, () => {
    const p = tensorOf(c.p0, true);
    const q = tensorOf(c.q0, true);
    const opt = makeOptimizer(c, p, q);
    c.grads.forEach((g, i) => {
      setGrads(p, q, g);
      opt.step();
      assertClose(p, c.after[i].p, `step ${i + 1} group 0`);
      assertClose(q, c.after[i].q, `step ${i + 1} group 1 (own lr)`);
    });
    opt.disposeState();
    p.dispose();
    q.dispose();
  });

  test(`${c.name}: state saved to safetensors and restored gives the same second step`, () => {
    const dir = mkdtempSync(join(tmpdir(), "cardioseg-optim-"));
    try {
      const p = tensorOf(c.p0, true);
      const q = tensorOf(c.q0, true);
      const first = makeOptimizer(c, p, q);
      setGrads(p, q, c.grads[0]);
      first.step();
      const sd = first.stateDict();
      saveSafetensors(join(dir, "opt.safetensors"), sd.tensors, { optimizer: JSON.stringify(sd.meta) });
      first.disposeState();

      const loaded = loadSafetensors(join(dir, "opt.safetensors"));
      const second = makeOptimizer(c, p, q);
      second.loadStateDict({ tensors: loaded.tensors, meta: JSON.parse(loaded.metadata["optimizer"]) as OptimizerMeta });
      for (const t of loaded.tensors.values()) t.dispose();
      setGrads(p, q, c.grads[1]);
      second.step();
      assertClose(p, c.after[1].p, "restored step 2 group 0");
      assertClose(q, c.after[1].q, "restored step 2 group 1");
      second.disposeState();
      p.dispose();
      q.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("per-group lr is writable (schedulers) and a zero lr leaves that group untouched", () => {
  const p = tensorOf({ shape: [2], dtype: "float32", data: [1, 2] }, true);
  const q = tensorOf({ shape: [2], dtype: "float32", data: [3, 4] }, true);
  const opt = new SGD([{ params: [p] }, { params: [q], lr: 0.5 }], { lr: 0.1 });
  opt.paramGroups[1].lr = 0;
  tidy(() => p.add(q).sum().backward());
  opt.step();
  assert.deepEqual([...p.toFloat32Array()], [Math.fround(0.9), Math.fround(1.9)]);
  assert.deepEqual([...q.toFloat32Array()], [3, 4]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
  p.dispose();
  q.dispose();
});

test("bad hyperparameters and mismatched state are clear errors", () => {
  const p = tensorOf({ shape: [1], dtype: "float32", data: [1] }, true);
  assert.throws(() => new SGD([p], { lr: -1 }), /invalid learning rate/);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov/);
  assert.throws(() => new Adam([p], { betas: [1.5, 0.9] }), /betas/);
  assert.throws(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), /more than one parameter group/);
  const adam = new Adam([p]);
  assert.throws(() => adam.loadStateDict(new SGD([p], { lr: 1 }).stateDict()), /saved by SGD/);
  p.dispose();
});

test("multi-tensor (foreach) steps equal the per-parameter steps bit for bit", () => {
  const shapes = [[4, 3, 3, 3], [4], [7, 5], [2, 2, 1, 1]];
  const make = (): Tensor[] => shapes.map((s, k) => tidy(() => randn(s, { generator: new Generator(k + 1) })).requiresGrad_(true).keep());
  const builders: Array<[string, (ps: Tensor[]) => Optimizer<Hyper>]> = [
    ["SGD momentum + decay", (ps) => new SGD([{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: 0.05 }], { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 }) as unknown as Optimizer<Hyper>],
    ["SGD nesterov + dampening 0", (ps) => new SGD(ps, { lr: 0.1, momentum: 0.8, nesterov: true }) as unknown as Optimizer<Hyper>],
    ["Adam + L2", (ps) => new Adam(ps, { lr: 0.01, weightDecay: 0.01 }) as unknown as Optimizer<Hyper>],
    ["AdamW", (ps) => new AdamW([{ params: ps.slice(0, 3) }, { params: ps.slice(3), lr: 0.003 }], { lr: 0.01, weightDecay: 0.05 }) as unknown as Optimizer<Hyper>],
  ];
  for (const [name, build] of builders) {
    const runs = [true, false].map((useForeach) => {
      const ps = make();
      const opt = build(ps);
      opt.foreach = useForeach;
      if (opt instanceof Adam || opt instanceof AdamW || opt instanceof SGD) opt.fused = false; // the foreach ops themselves
      for (let step = 0; step < 3; step++) {
        ps.forEach((p, k) => {
          p.zeroGrad();
          // The last parameter gets no gradient at the first step (it joins the group's updates later).
          if (step > 0 || k < ps.length - 1) tidy(() => p.mul(randn(p.shape, { generator: new Generator(100 * step + k) })).sum().backward());
        });
        opt.step();
      }
      const out = ps.map((p) => tidy(() => p.detach().toFloat32Array()));
      opt.disposeState();
      ps.forEach((p) => p.dispose());
      return out;
    });
    runs[0].forEach((v, k) => assert.deepEqual(v, runs[1][k], `${name}: parameter ${k}`));
  }
});

type FusedOptimizer = Optimizer<Hyper> & { fused: boolean };
const FUSED_SHAPES = [[8, 3, 3, 3], [8], [7, 5], [16, 8, 1, 1]];

/**
 * Three steps of `build`'s optimiser with its fused kernel and with the foreach ops, on channels-last
 * weights among others: the weights agree to float32 rounding, and they moved.
 */
function checkFusedAgainstForeach(name: string, build: (ps: Tensor[]) => FusedOptimizer): void {
  const runs = [true, false].map((fused) => {
    const ps = FUSED_SHAPES.map((s, k) => tidy(() => {
      const t = randn(s, { generator: new Generator(k + 1) });
      return s.length === 4 ? t.contiguous("channelsLast") : t;
    }).requiresGrad_(true).keep());
    const opt = build(ps);
    opt.fused = fused;
    for (let step = 0; step < 3; step++) {
      ps.forEach((p, k) => {
        p.zeroGrad();
        tidy(() => p.mul(randn(p.shape, { generator: new Generator(100 * step + k) })).sum().backward());
        // (so the fused run does take the fused kernel, for the channels-last weights too)
        if (fused) assert.ok(p.grad && foreach.fusable(p, p.grad), `${name}: parameter ${k} not fusable`);
      });
      opt.step();
    }
    assert.ok(ps[0].isContiguous("channelsLast"), "the fused step keeps the weight's layout");
    const out = ps.map((p) => tidy(() => p.detach().contiguous().toFloat32Array()));
    opt.disposeState();
    ps.forEach((p) => p.dispose());
    return out;
  });
  runs[0].forEach((v, k) => v.forEach((x, i) => {
    const want = runs[1][k][i];
    assert.ok(Math.abs(x - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${name}: parameter ${k}[${i}] ${x} vs ${want}`);
  }));
  const start = tidy(() => randn(FUSED_SHAPES[0], { generator: new Generator(1) }).toFloat32Array());
  assert.notDeepEqual(runs[0][0], start, `${name}: the steps moved the weights`);
}

test("fused Adam/AdamW steps equal the foreach steps to float32 rounding, channels-last weights included", () => {
  for (const [name, Ctor, wd] of [["Adam + L2", Adam, 0.01], ["AdamW", AdamW, 0.05]] as const) {
    checkFusedAgainstForeach(name, (ps) => new Ctor([{ params: ps.slice(0, 3) }, { params: ps.slice(3), lr: 0.003 }],
      { lr: 0.01, weightDecay: wd }) as unknown as FusedOptimizer);
  }
});

test("fused SGD steps equal the foreach steps to float32 rounding (momentum, dampening, Nesterov, none)", () => {
  const settings: Array<[string, Partial<SGDHyper> & { lr: number }]> = [
    ["momentum + decay", { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 }],
    ["dampening", { lr: 0.1, momentum: 0.9, dampening: 0.3 }],
    ["Nesterov + decay", { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 5e-4 }],
    ["no momentum", { lr: 0.1, weightDecay: 1e-2 }],
  ];
  for (const [name, options] of settings) {
    checkFusedAgainstForeach(name, (ps) => new SGD([{ params: ps.slice(0, 3) }, { params: ps.slice(3), lr: 0.03 }],
      options) as unknown as FusedOptimizer);
  }
});

test("the fused step refuses a gradient in another memory order than its weight (foreach takes it)", () => {
  const w = tidy(() => randn([4, 3, 2, 2], { generator: new Generator(7) }).contiguous("channelsLast")).requiresGrad_(true).keep();
  const g = tidy(() => randn([4, 3, 2, 2], { generator: new Generator(8) })).keep(); // NCHW
  assert.equal(foreach.fusable(w, g), false);
  assert.equal(foreach.fusable(w, tidy(() => g.contiguous("channelsLast"))), true);
  w.dispose();
  g.dispose();
});
