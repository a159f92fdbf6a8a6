// Statistics with NumPy's conventions (values computed by hand).
import { test } from "node:test";
import assert from "node:assert/strict";
import { agreement, nanmean, pearson, percentile } from "../../src/eval/stats.js";

test("percentile interpolates linearly like numpy.percentile", () => {
  // Bit-exact values printed by NumPy 1.24's numpy.percentile for the same inputs.
  assert.equal(percentile([4, 1, 3, 2], 95), 3.8499999999999996);
  assert.equal(percentile([0.1, 0.7, 0.3], 95), 0.6599999999999999);
  assert.equal(percentile([0.1, 0.7, 0.3], 10), 0.14);
  assert.equal(percentile([7], 95), 7);
  assert.equal(percentile([10, 0], 50), 5);
  assert.ok(Number.isNaN(percentile([], 95)));
});

test("nanmean skips NaN and is NaN when nothing is left", () => {
  assert.equal(nanmean([1, NaN, 3]), 2);
  assert.ok(Number.isNaN(nanmean([NaN])));
});

test("Bland-Altman bias, SD and limits; Pearson r", () => {
  const a = agreement([2, 4, 7], [1, 4, 5]); // differences 1, 0, 2: mean 1, sample SD 1
  assert.equal(a.bias, 1);
  assert.equal(a.sd, 1);
  assert.equal(a.loa_low, 1 - 1.96);
  assert.equal(a.loa_high, 1 + 1.96);
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-15);
  assert.ok(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-15);
  assert.ok(Number.isNaN(pearson([1, 1], [2, 3])));
  assert.ok(Number.isNaN(agreement([1], [2]).sd));
});
