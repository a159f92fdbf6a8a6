// src/train — everything that turns a model and a data loader into trained weights: losses, class
// weights, optimiser/parameter groups, learning-rate schedules, configs, checkpoints, the trainer loop
// and the predictor (src/infer) that loads a finished run.
// losses.ts owns the segmentation losses on logits [N,C,H,W] and integer targets [N,H,W]:
// cross-entropy (class weights, ignore index), soft Dice (nnU-Net's SoftDiceLoss: batch dice, smooth
// term, background excluded), Dice + CE (nnU-Net's DC_and_CE_loss) and focal loss (Lin et al. 2017).
// Class weights come from src/data/frequencies.ts (inverse or median frequency).
import { F, stack, type Tensor } from "../tensor/index.js";

export interface CrossEntropyOptions {
  /** Per-class weights [C] (see classWeights). */
  weight?: Tensor;
  /** Target value that contributes nothing (default -100, as in PyTorch). */
  ignoreIndex?: number;
}

export interface DiceOptions {
  /** Added to numerator and denominator (nnU-Net: 1e-5). */
  smooth?: number;
  /** Sum over the whole batch before the ratio (nnU-Net's batch_dice), else per image then mean. */
  batchDice?: boolean;
  /** Include class 0 in the mean (nnU-Net: no). */
  includeBackground?: boolean;
  ignoreIndex?: number;
  /**
   * Batch dice in a distributed run: sums the per-class batch sums over every process (with
   * gradient), so the Dice is the global batch's, as nnU-Net's DDP SoftDiceLoss does.
   */
  batchSum?: (t: Tensor) => Tensor;
}

export interface FocalOptions extends CrossEntropyOptions {
  /** Focusing parameter (Lin et al.: 2). */
  gamma?: number;
}

export type LossName = "ce" | "dice" | "dice_ce" | "focal";

export interface LossConfig {
  name: LossName;
  /** Class weights for CE/focal: none, inverse frequency or median frequency balancing. */
  classWeights: "none" | "inverse" | "median";
  ignoreIndex: number;
  diceSmooth: number;
  batchDice: boolean;
  diceIncludeBackground: boolean;
  focalGamma: number;
  /** dice_ce: weights of the two terms (nnU-Net: 1 and 1). */
  ceWeight: number;
  diceWeight: number;
  /** Weight of the auxiliary head's loss (torchvision's reference: 0.5). */
  auxWeight: number;
}

export const defaultLossConfig: LossConfig = {
  name: "dice_ce",
  classWeights: "none",
  ignoreIndex: 255,
  diceSmooth: 1e-5,
  batchDice: true,
  diceIncludeBackground: false,
  focalGamma: 2,
  ceWeight: 1,
  diceWeight: 1,
  auxWeight: 0.5,
};

export function crossEntropyLoss(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return F.crossEntropy(logits, target, { weight: o.weight, ignoreIndex: o.ignoreIndex ?? -100, reduction: "mean" });
}

/**
 * One-hot [N,C,H,W] float of the target and a [N,1,H,W] mask of the pixels that count. An ignored pixel
 * outside 0..C-1 is all zeros in the one-hot already (F.oneHotChannels).
 */
function oneHotMasked(target: Tensor, numClasses: number, ignoreIndex: number | undefined): { onehot: Tensor; mask: Tensor | null } {
  const labels = target.unsqueeze(1);
  const onehot = F.oneHotChannels(labels, numClasses).float();
  if (ignoreIndex === undefined) return { onehot, mask: null };
  const mask = labels.ne(ignoreIndex).float();
  return { onehot: ignoreIndex >= 0 && ignoreIndex < numClasses ? onehot.mul(mask) : onehot, mask };
}

/**
 * 1 - mean soft Dice over classes: dice_c = (2 tp + s) / (2 tp + fp + fn + s) with tp = Σ p·y,
 * fp = Σ p·(1-y), fn = Σ (1-p)·y (so 2tp + fp + fn = Σ p + Σ y), p = softmax(logits).
 */
export function softDiceLoss(logits: Tensor, target: Tensor, o: DiceOptions = {}): Tensor {
  const smooth = o.smooth ?? 1e-5;
  const numClasses = logits.shape[1];
  const { onehot, mask } = oneHotMasked(target, numClasses, o.ignoreIndex);
  let probs = F.softmax(logits, 1);
  if (mask) probs = probs.mul(mask);
  const batchDice = o.batchDice ?? true;
  const axes = batchDice ? [0, 2, 3] : [2, 3];
  let tp = probs.mul(onehot).sum(axes);
  let denom = probs.sum(axes).add(onehot.sum(axes));
  if (batchDice && o.batchSum) {
    const both = o.batchSum(stack([tp, denom]));
    tp = both.select(0, 0);
    denom = both.select(0, 1);
  }
  let dice = tp.mul(2).add(smooth).div(denom.add(smooth));
  if (!(o.includeBackground ?? false)) dice = dice.narrow(dice.dim() - 1, 1, numClasses - 1);
  return dice.mean().neg().add(1);
}

/** Focal loss: mean over counted pixels of -w_y (1 - p_y)^γ log p_y. */
export function focalLoss(logits: Tensor, target: Tensor, o: FocalOptions = {}): Tensor {
  const gamma = o.gamma ?? 2;
  const ignore = o.ignoreIndex ?? -100;
  const valid = target.ne(ignore);
  const safe = target.mul(valid.long()).unsqueeze(1);
  const logp = F.logSoftmax(logits, 1).gather(1, safe).squeeze(1);
  const pt = logp.exp();
  let perPixel = pt.neg().add(1).pow(gamma).mul(logp).neg();
  let norm = valid.float();
  if (o.weight) {
    const w = o.weight.indexSelect(0, safe.flatten()).reshape(target.shape);
    perPixel = perPixel.mul(w);
    norm = norm.mul(w);
  }
  // Like PyTorch's weighted CE: divide by the summed weights of the counted pixels.
  return perPixel.mul(valid.float()).sum().div(norm.sum().clamp(1e-12));
}

/** The configured loss on one logits map (modelLoss adds auxWeight × the same on the aux logits). */
export function segmentationLoss(logits: Tensor, target: Tensor, cfg: LossConfig, weight?: Tensor,
  batchSum?: (t: Tensor) => Tensor): Tensor {
  const ignoreIndex = cfg.ignoreIndex;
  const dice = (): Tensor => softDiceLoss(logits, target, {
    smooth: cfg.diceSmooth, batchDice: cfg.batchDice, includeBackground: cfg.diceIncludeBackground, ignoreIndex, batchSum,
  });
  switch (cfg.name) {
    case "ce": return crossEntropyLoss(logits, target, { weight, ignoreIndex });
    case "dice": return dice();
    case "dice_ce": return crossEntropyLoss(logits, target, { weight, ignoreIndex }).mul(cfg.ceWeight).add(dice().mul(cfg.diceWeight));
    case "focal": return focalLoss(logits, target, { weight, ignoreIndex, gamma: cfg.focalGamma });
    default: throw new Error(`loss.name: unknown loss ${String(cfg.name)} (ce, dice, dice_ce, focal)`);
  }
}

/** The training loss of a forward: the configured loss on the logits, plus auxWeight × it on the aux logits. */
export function modelLoss(out: { out: Tensor; aux?: Tensor }, target: Tensor, cfg: LossConfig, weight?: Tensor,
  batchSum?: (t: Tensor) => Tensor): Tensor {
  const loss = segmentationLoss(out.out, target, cfg, weight, batchSum);
  return out.aux ? loss.add(segmentationLoss(out.aux, target, cfg, weight, batchSum).mul(cfg.auxWeight)) : loss;
}
