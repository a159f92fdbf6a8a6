#!/usr/bin/python3
"""PyTorch side of bench/onnx.ts: the same inference workloads in PyTorch eager (eval, no_grad), each
registered under both names bench/onnx.ts times (NAME for cardioseg-libtorch, NAME_onnxruntime for
cardioseg's ONNX export on onnxruntime-node). The acdc-cpu model (configs/acdc-cpu.yaml: DeepLab v3+
ResNet-18 OS16, 1 channel, 4 classes, ASPP 128, 48-channel skip) is built by the fixture script's
torchvision-based builder (scripts/fixtures/models.py); DeepLabV3-ResNet50 is torchvision's own.
Imported by bench/pytorch_bench.py (BENCHMARKS).
"""
import os
import sys

import torch
from torchvision.models.segmentation import deeplabv3_resnet50

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from models import tiny_model  # noqa: E402  (torchvision's blocks at any width; 64 = the real ResNet-18)

SIZE = 256
ACDC_CPU = {"depth": 18, "width": 64, "in_channels": 1, "classes": 4, "output_stride": 16, "rates": [6, 12, 18],
            "multi_grid": None, "aux": False, "decoder": True, "aspp_channels": 128, "low_level_channels": 48,
            "norm": "batch"}


def infer(build, batch, channels):
    def make():
        model = build().eval()
        x = torch.randn(batch, channels, SIZE, SIZE)

        def step():
            with torch.no_grad():
                model(x)["out"].sum().item()
        return step
    return make


def acdc_cpu():
    return tiny_model(ACDC_CPU)


def resnet50():
    return deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=21, aux_loss=False)


from predict_bench import volume_predict  # noqa: E402

ONNX_BENCHMARKS = {"acdc_cpu_volume_predict_onnxruntime": volume_predict}
for key, build, batch, channels in [("acdc_cpu_infer_b1", acdc_cpu, 1, 1), ("acdc_cpu_infer_b8", acdc_cpu, 8, 1),
                                    ("deeplabv3_resnet50_infer_b1", resnet50, 1, 3),
                                    ("deeplabv3_resnet50_infer_b8", resnet50, 8, 3)]:
    ONNX_BENCHMARKS[key] = infer(build, batch, channels)
    ONNX_BENCHMARKS[key + "_onnxruntime"] = infer(build, batch, channels)
