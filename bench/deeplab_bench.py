#!/usr/bin/python3
"""PyTorch side of bench/deeplab.ts: torchvision's deeplabv3_resnet50 (OS8, weights=None), 2 classes,
batch 2, 256x256 — one SGD training step with cross-entropy, and one eval-mode forward. Imported by
bench/pytorch_bench.py (BENCHMARKS); `--memory N` runs N training steps and prints RSS like deeplab.ts.
"""
import json
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torchvision.models.segmentation import deeplabv3_resnet50

SIZE, BATCH, CLASSES = 256, 2, 2


def train_step():
    model = deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=CLASSES, aux_loss=False).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(BATCH, 3, SIZE, SIZE)
    y = torch.randint(0, CLASSES, (BATCH, SIZE, SIZE))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x)["out"], y).backward()
        opt.step()
    return step


def infer():
    model = deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=CLASSES, aux_loss=False).eval()
    x = torch.randn(BATCH, 3, SIZE, SIZE)

    def step():
        with torch.no_grad():
            model(x)["out"].sum().item()
    return step


DEEPLAB_BENCHMARKS = {
    "deeplabv3_resnet50_os8_train_step": train_step,
    "deeplabv3_resnet50_os8_infer": infer,
}


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2 ** 20


if __name__ == "__main__":
    steps = int(sys.argv[sys.argv.index("--memory") + 1]) if "--memory" in sys.argv else 5
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    step = train_step()
    rss = []
    for i in range(steps):
        t0 = time.perf_counter()
        step()
        rss.append(rss_mb())
        print(f"step {i + 1}: {(time.perf_counter() - t0) * 1000:.0f} ms, RSS {rss[-1]:.0f} MB")
    print(json.dumps({"side": "pytorch", "steps": steps, "rss_after_mb": rss[-1],
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
