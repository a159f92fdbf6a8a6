#!/usr/bin/python3
"""PyTorch side of bench/predict.ts: whole-volume prediction of one ACDC frame with the acdc-cpu
architecture (DeepLab v3+ ResNet-18 OS16, ASPP 128, 48-channel skip, 4 classes, random weights), written
the way a PyTorch user writes it: slice by slice at batch 1 — numpy percentile clip + z-score,
F.interpolate to 1.25 mm, pad to a multiple of 16, the eager model under no_grad, softmax, crop,
F.interpolate back, argmax — the label map in a numpy array. The model is built by
scripts/fixtures/models.py from torchvision's blocks (the same builder the model tests' fixtures use).

The frame: $CARDIOSEG_BENCH_VOLUME, else ../shared/data/acdc/training/patient001/patient001_frame01.nii.gz
(nibabel), else a synthetic 256 x 216 x 10 volume at 1.5625 mm, as bench/predict.ts decides.
Imported by bench/pytorch_bench.py (BENCHMARKS).
"""
import importlib.util
import os

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ACDC_FRAME = os.path.join(ROOT, "..", "shared", "data", "acdc", "training", "patient001", "patient001_frame01.nii.gz")
TARGET_SPACING = 1.25
ACDC_CPU = dict(depth=18, width=64, in_channels=1, classes=4, output_stride=16, rates=[6, 12, 18], multi_grid=None,
                aux=False, decoder=True, aspp_channels=128, low_level_channels=48, norm="batch")


def fixture_models():
    spec = importlib.util.spec_from_file_location("fixture_models", os.path.join(ROOT, "scripts", "fixtures", "models.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_volume():
    """(voxels [nx, ny, nz] float32 in NIfTI order, in-plane spacing (sx, sy))."""
    path = os.environ.get("CARDIOSEG_BENCH_VOLUME") or ACDC_FRAME
    if os.path.exists(path):
        import nibabel as nib
        img = nib.load(path)
        zooms = img.header.get_zooms()
        return np.asarray(img.dataobj, dtype=np.float32), (float(zooms[0]), float(zooms[1]))
    nx, ny, nz = 256, 216, 10
    i, j, k = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    disc = np.where((i - nx / 2) ** 2 + (j - ny / 2) ** 2 < 900, 300, 0)
    return (100 + i * 0.5 + j * 0.3 + k + disc).astype(np.float32), (1.5625, 1.5625)


def predict_slice(model, image, spacing):
    """Labels [H, W] of one slice [H, W] (rows = y)."""
    lo, hi = np.percentile(image, [0.5, 99.5])
    clipped = np.clip(image, lo, hi)
    mean, std = clipped.mean(), clipped.std()
    std = std if std > 1e-6 else 1.0
    h, w = image.shape
    x = torch.from_numpy(np.ascontiguousarray(image))[None, None]
    x = F.interpolate(x, scale_factor=(spacing[1] / TARGET_SPACING, spacing[0] / TARGET_SPACING), mode="bilinear",
                      align_corners=False)
    x = (x.clamp(float(lo), float(hi)) - float(mean)) / float(std)
    rh, rw = x.shape[-2:]
    ph, pw = (-rh) % 16, (-rw) % 16
    top, left = ph // 2, pw // 2
    x = F.pad(x, (left, pw - left, top, ph - top), value=float((lo - mean) / std))
    probs = F.softmax(model(x)["out"], dim=1)[:, :, top:top + rh, left:left + rw]
    probs = F.interpolate(probs, size=(h, w), mode="bilinear", align_corners=False)
    return probs.argmax(1)[0].to(torch.uint8).numpy()


def predict_volume(model, volume, spacing):
    """Labels of every slice of `volume` [x, y, z], slice by slice at batch 1."""
    labels = np.empty(volume.shape, dtype=np.uint8)
    with torch.no_grad():
        for k in range(volume.shape[2]):
            labels[:, :, k] = predict_slice(model, volume[:, :, k].T, spacing).T
    return labels


def volume_predict():
    torch.manual_seed(0)
    model = fixture_models().tiny_model(ACDC_CPU).eval()
    volume, spacing = bench_volume()
    return lambda: predict_volume(model, volume, spacing)


def volume_predict_fresh_model():
    """The same loop, the model built anew for every volume (a process that predicts one scan)."""
    volume, spacing = bench_volume()
    models = fixture_models()

    def step():
        torch.manual_seed(0)
        return predict_volume(models.tiny_model(ACDC_CPU).eval(), volume, spacing)
    return step


PREDICT_BENCHMARKS = {
    "acdc_cpu_volume_predict": volume_predict,
    # ours with --precision bfloat16 against the same float32 slice-by-slice reference
    "acdc_cpu_volume_predict_bf16": volume_predict,
    # ours with --convolutions libtorch (at::conv2d, no oneDNN packing) against the same reference
    "acdc_cpu_volume_predict_libtorch_conv": volume_predict,
    # a fresh model for every volume on both sides: what one scan in a new process costs beyond start-up
    "acdc_cpu_volume_predict_fresh_model": volume_predict_fresh_model,
    "acdc_cpu_volume_predict_fresh_model_libtorch_conv": volume_predict_fresh_model,
}
