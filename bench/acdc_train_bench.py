#!/usr/bin/python3
"""PyTorch side of bench/acdc-train.ts: the acdc-cpu training step in PyTorch eager — DeepLab v3+
with a ResNet-18 backbone at output stride 16 (1 input channel, 4 classes, ASPP 128 channels, a
48-channel low-level skip, torchvision's FCNHead as aux head on layer3 with its loss at weight 0.5:
the same layers and parameter count as cardioseg's), batch 8, 160x160, AdamW, Dice + CE — fed by
torchvision-style per-sample augmentation with configs/acdc-cpu.yaml's draws: each sample rotated,
scaled, jittered, flipped and cropped from a 216x256 slice by its own affine_grid + grid_sample
(what torchvision.transforms.functional.affine does on tensors), labels one-hot + bilinear + argmax
("linear" labels), then inverted gamma (p 0.1), gamma (p 0.3), brightness (p 0.15), noise (p 0.1),
Gaussian blur (p 0.2, torchvision's gaussian_blur: reflect padding, separable kernel), contrast
(p 0.15) and simulated low resolution (p 0.25). `bf16=True` runs the forward under
torch.autocast("cpu", torch.bfloat16), as `precision: bf16-mixed` does in cardioseg.
Imported by bench/pytorch_bench.py (BENCHMARKS).
"""
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH, SIZE, CLASSES, SPACING = 8, 160, 4, 1.25
SLICE_W, SLICE_H, SLICE_SPACING = 216, 256, 1.5625


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1, dilation=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def layer(cin, cout, stride, dilation, first_dilation):
    down = None
    if stride != 1 or cin != cout:
        down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    return nn.Sequential(BasicBlock(cin, cout, stride, first_dilation, down), BasicBlock(cout, cout, 1, dilation))


class ResNet18OS16(nn.Module):
    """torchvision's resnet18 layout with layer4's stride traded for dilation 2 (output stride 16)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = layer(64, 64, 1, 1, 1)
        self.layer2 = layer(64, 128, 2, 1, 1)
        self.layer3 = layer(128, 256, 2, 1, 1)
        self.layer4 = layer(256, 512, 1, 2, 1)

    def forward(self, x):
        low = self.layer1(self.maxpool(self.relu(self.bn1(self.conv1(x)))))
        return low, self.layer4(self.layer3(self.layer2(low)))


def conv_bn_relu(cin, cout, k, dilation=1):
    return [nn.Conv2d(cin, cout, k, padding=dilation * (k // 2), dilation=dilation, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU()]


class ASPP(nn.Module):
    """torchvision's ASPP: 1x1, three atrous 3x3 (6, 12, 18), image pooling; 1x1 projection + dropout 0.5."""

    def __init__(self, cin, ch):
        super().__init__()
        self.convs = nn.ModuleList([nn.Sequential(*conv_bn_relu(cin, ch, 1))]
                                   + [nn.Sequential(*conv_bn_relu(cin, ch, 3, r)) for r in (6, 12, 18)])
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), *conv_bn_relu(cin, ch, 1))
        self.project = nn.Sequential(*conv_bn_relu(5 * ch, ch, 1), nn.Dropout(0.5))

    def forward(self, x):
        outs = [c(x) for c in self.convs]
        outs.append(F.interpolate(self.pool(x), size=x.shape[-2:], mode="bilinear", align_corners=False))
        return self.project(torch.cat(outs, 1))


class DeepLabV3Plus(nn.Module):
    def __init__(self, ch=128, low_ch=48):
        super().__init__()
        self.backbone = ResNet18OS16()
        self.project = nn.Sequential(*conv_bn_relu(64, low_ch, 1))
        self.aspp = ASPP(512, ch)
        self.classifier = nn.Sequential(*conv_bn_relu(low_ch + ch, ch, 3), nn.Conv2d(ch, CLASSES, 1))
        # torchvision's FCNHead(256, CLASSES) on layer3
        self.aux_classifier = nn.Sequential(*conv_bn_relu(256, 64, 3), nn.Dropout(0.1), nn.Conv2d(64, CLASSES, 1))

    def forward(self, x):
        b = self.backbone
        low = b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x)))))
        mid = b.layer3(b.layer2(low))
        out = b.layer4(mid)
        low = self.project(low)
        up = F.interpolate(self.aspp(out), size=low.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.classifier(torch.cat([low, up], 1))
        size = x.shape[-2:]
        aux = F.interpolate(self.aux_classifier(mid), size=size, mode="bilinear", align_corners=False)
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False), aux


def dice_ce(logits, target):
    """nnU-Net's DC_and_CE: CE + (1 - soft Dice over the batch, background excluded)."""
    ce = F.cross_entropy(logits, target)
    p = logits.softmax(1)[:, 1:]
    onehot = F.one_hot(target, CLASSES).permute(0, 3, 1, 2)[:, 1:].to(p.dtype)
    inter = (p * onehot).sum((0, 2, 3))
    dice = (2 * inter + 1e-5) / (p.sum((0, 2, 3)) + onehot.sum((0, 2, 3)) + 1e-5)
    return ce + (1 - dice.mean())


def gaussian_blur(img, sigma):
    """torchvision.transforms.functional.gaussian_blur on a [1, H, W] tensor (kernel 2*ceil(3 sigma)+1)."""
    k = 2 * math.ceil(3 * sigma) + 1
    x = torch.arange(k, dtype=torch.float32) - k // 2
    w = torch.exp(-0.5 * (x / sigma) ** 2)
    w = w / w.sum()
    out = F.pad(img[None], [k // 2] * 4, mode="reflect")
    out = F.conv2d(out, w.view(1, 1, 1, k))
    return F.conv2d(out, w.view(1, 1, k, 1))[0]


def augment_sample(image, label):
    """One sample, torchvision-style: its own affine warp (rotation, scale, jitter, flips, random crop), then intensity."""
    angle = random.uniform(-math.pi, math.pi)
    scale = random.uniform(0.75, 1.25)
    fx = -1.0 if random.random() < 0.5 else 1.0
    fy = -1.0 if random.random() < 0.5 else 1.0
    c, s = math.cos(angle), math.sin(angle)
    j = [random.uniform(-0.05, 0.05) for _ in range(4)]
    # Output grid [-1, 1]^2 -> source grid: the 200 mm field of view over the slice's extent.
    kx = SIZE * SPACING / (SLICE_W * SLICE_SPACING) / scale
    ky = SIZE * SPACING / (SLICE_H * SLICE_SPACING) / scale
    tx, ty = random.uniform(-0.2, 0.2), random.uniform(-0.2, 0.2)
    theta = torch.tensor([[[(c + j[0]) * kx * fx, (-s + j[1]) * kx * fy, tx],
                           [(s + j[2]) * ky * fx, (c + j[3]) * ky * fy, ty]]], dtype=torch.float32)
    grid = F.affine_grid(theta, [1, 1, SIZE, SIZE], align_corners=False)
    img = F.grid_sample(image[None], grid, mode="bilinear", padding_mode="border", align_corners=False)[0]
    onehot = F.one_hot(label.long(), CLASSES).permute(0, 3, 1, 2).float()
    lab = F.grid_sample(onehot, grid, mode="bilinear", padding_mode="zeros", align_corners=False).argmax(1)[0]
    img = img.clamp(0, 1)
    if random.random() < 0.1:
        img = 1 - (1 - img).pow(random.uniform(0.7, 1.5))
    if random.random() < 0.3:
        img = img.pow(random.uniform(0.7, 1.5))
    img = (img - 0.3) / 0.2
    if random.random() < 0.15:
        img = img * random.uniform(0.75, 1.25)
    if random.random() < 0.1:
        img = img + torch.randn_like(img) * random.uniform(0, 0.1)
    if random.random() < 0.2:
        img = gaussian_blur(img, random.uniform(0.5, 1))
    if random.random() < 0.15:
        lo, hi, mean = img.min(), img.max(), img.mean()
        img = ((img - mean) * random.uniform(0.75, 1.25) + mean).clamp(lo, hi)
    if random.random() < 0.25:
        small = F.interpolate(img[None], scale_factor=random.uniform(0.5, 1), mode="nearest")
        img = F.interpolate(small, size=[SIZE, SIZE], mode="bicubic", align_corners=False)[0]
    return img, lab


def train_step(bf16=False):
    torch.manual_seed(0)
    random.seed(0)
    model = DeepLabV3Plus().train().to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    # Raw slices held in memory as the loader holds them (intensities already in [0, 1] here).
    images = [torch.rand(1, SLICE_H, SLICE_W) for _ in range(32)]
    labels = [torch.randint(0, CLASSES, (1, SLICE_H, SLICE_W), dtype=torch.uint8) for _ in range(32)]

    def step():
        picks = random.sample(range(len(images)), BATCH)
        pairs = [augment_sample(images[i], labels[i]) for i in picks]
        x = torch.stack([p[0] for p in pairs]).contiguous(memory_format=torch.channels_last)
        y = torch.stack([p[1] for p in pairs])
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out, aux = model(x)
        (dice_ce(out.float(), y) + 0.5 * dice_ce(aux.float(), y)).backward()
        opt.step()
    return step


ACDC_BENCHMARKS = {
    "acdc_cpu_train_step_augmented": train_step,
    "acdc_cpu_train_step_augmented_bf16": lambda: train_step(bf16=True),
}

if __name__ == "__main__":
    m = DeepLabV3Plus()
    print(f"{sum(p.numel() for p in m.parameters()) / 1e6:.2f} M parameters")
