#!/usr/bin/python3
"""The PyTorch side of `npm run bench` (bench/main.ts): the same workloads as bench/*.ts, timed in
Python PyTorch on the same machine, driven over stdin/stdout so both sides can alternate rounds.

Protocol: one JSON object per line in, one per line out.
  {"cmd": "hello", "threads": N}              -> {"ok": true, "torch": "1.13.0", "threads": N}
  {"cmd": "run", "name": NAME, "iters": K}    -> {"ok": true, "ms": [K per-iteration times]}
  {"cmd": "quit"}
Errors come back as {"ok": false, "error": "..."}; an unknown NAME is an error so the TypeScript side
can report "no PyTorch counterpart" and keep going.

Adding a benchmark: write a builder returning a step() closure and register it in BENCHMARKS under
the same name as the TypeScript benchmark.
"""
import json
import sys
import time

sys.dont_write_bytecode = True  # the imported bench modules must not leave __pycache__ in the repo

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3x3():
    """conv2d 3x3, batch 2, 128->128 channels, 64x64, forward + backward (input and weight grads)."""
    x = torch.randn(2, 128, 64, 64, requires_grad=True)
    w = (torch.randn(128, 128, 3, 3) * 0.03).requires_grad_(True)
    b = torch.zeros(128, requires_grad=True)
    g = torch.randn(2, 128, 64, 64)

    def step():
        out = F.conv2d(x, w, b, padding=1)
        out.backward(g)
        x.grad = None
        w.grad = None
        b.grad = None
    return step


class Bottleneck(nn.Module):
    """torchvision.models.resnet.Bottleneck (expansion 4, stride on the 3x3 conv)."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


def resnet_layer1(size):
    """ResNet-50 layer1: 3 Bottlenecks (64 -> 256 channels), batch 2, training mode, forward + backward."""
    def build():
        downsample = nn.Sequential(nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256))
        layer = nn.Sequential(Bottleneck(64, 64, downsample=downsample), Bottleneck(256, 64), Bottleneck(256, 64))
        layer.train()
        x = torch.randn(2, 64, size, size)

        def step():
            out = layer(x)
            out.mean().backward()
            layer.zero_grad(set_to_none=True)
        return step
    return build


def add_overhead(ops):
    """ops additions of two 1-element tensors (per-op overhead)."""
    def build():
        a = torch.ones(1)
        b = torch.ones(1)

        def step():
            for _ in range(ops):
                a + b
        return step
    return build


BENCHMARKS = {
    "conv2d_3x3_128ch_64px_fwd_bwd": conv3x3,
    "resnet50_layer1_56px_fwd_bwd": resnet_layer1(56),
    "add_1elem_overhead": add_overhead(1000),
}
# The model benchmarks live next to their TypeScript owners. A module that cannot be imported here
# (deeplab_bench.py needs torchvision) only takes its own entries away, each reported by name.
MISSING = {}
try:
    from deeplab_bench import DEEPLAB_BENCHMARKS  # noqa: E402
    BENCHMARKS.update(DEEPLAB_BENCHMARKS)
except ImportError as err:
    MISSING.update({name: f"bench/deeplab_bench.py cannot be imported ({err})"
                    for name in ("deeplabv3_resnet50_os8_train_step", "deeplabv3_resnet50_os8_infer")})
from acdc_train_bench import ACDC_BENCHMARKS  # noqa: E402
BENCHMARKS.update(ACDC_BENCHMARKS)
from onnx_bench import ONNX_BENCHMARKS  # noqa: E402
BENCHMARKS.update(ONNX_BENCHMARKS)
from predict_bench import PREDICT_BENCHMARKS  # noqa: E402
BENCHMARKS.update(PREDICT_BENCHMARKS)


def main():
    steps = {}
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req["cmd"] == "hello":
                torch.set_num_threads(int(req["threads"]))
                reply = {"ok": True, "torch": torch.__version__, "threads": torch.get_num_threads()}
            elif req["cmd"] == "run":
                name = req["name"]
                if name in MISSING:
                    raise ImportError(MISSING[name])
                if name not in BENCHMARKS:
                    raise KeyError(f"no PyTorch counterpart for {name}")
                if name not in steps:
                    steps[name] = BENCHMARKS[name]()
                step = steps[name]
                times = []
                for _ in range(int(req["iters"])):
                    t0 = time.perf_counter()
                    step()
                    times.append((time.perf_counter() - t0) * 1000.0)
                reply = {"ok": True, "ms": times}
            elif req["cmd"] == "quit":
                return
            else:
                raise ValueError(f"unknown command {req['cmd']}")
        except Exception as err:  # reported to the driver, which keeps going
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
