#!/usr/bin/python3
"""PyTorch side of bench/acdc-train.ts: the acdc-cpu training step in PyTorch eager — DeepLab v3+
with a ResNet-18 backbone at output stride 16 (1 input channel, 4 classes, ASPP 128 channels, a
48-channel low-level skip: the same layers and parameter count as cardioseg's), batch 8, 160x160,
AdamW, Dice + CE — fed by torchvision-style per-sample augmentation: each sample rotated, scaled,
flipped and cropped from a 216x256 slice by its own affine_grid + grid_sample (what
torchvision.transforms.functional.affine does on tensors; torchvision itself is not needed),
labels by nearest neighbour, then gamma (p 0.3) and Gaussian noise (p 0.15) — the defaults of
cardioseg's data.augment. Imported by bench/pytorch_bench.py (BENCHMARKS).
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

    def forward(self, x):
        low, out = self.backbone(x)
        low = self.project(low)
        up = F.interpolate(self.aspp(out), size=low.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.classifier(torch.cat([low, up], 1))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


def dice_ce(logits, target):
    """nnU-Net's DC_and_CE: CE + (1 - soft Dice over the batch, background excluded)."""
    ce = F.cross_entropy(logits, target)
    p = logits.softmax(1)[:, 1:]
    onehot = F.one_hot(target, CLASSES).permute(0, 3, 1, 2)[:, 1:].to(p.dtype)
    inter = (p * onehot).sum((0, 2, 3))
    dice = (2 * inter + 1e-5) / (p.sum((0, 2, 3)) + onehot.sum((0, 2, 3)) + 1e-5)
    return ce + (1 - dice.mean())


def augment_sample(image, label):
    """One sample, torchvision-style: its own affine warp (rotation, scale, flips, random crop), then intensity."""
    angle = random.uniform(-math.pi, math.pi)
    scale = random.uniform(0.75, 1.25)
    fx = -1.0 if random.random() < 0.5 else 1.0
    fy = -1.0 if random.random() < 0.5 else 1.0
    c, s = math.cos(angle), math.sin(angle)
    # Output grid [-1, 1]^2 -> source grid: the 200 mm field of view over the slice's extent.
    kx = SIZE * SPACING / (SLICE_W * SLICE_SPACING) / scale
    ky = SIZE * SPACING / (SLICE_H * SLICE_SPACING) / scale
    tx, ty = random.uniform(-0.2, 0.2), random.uniform(-0.2, 0.2)
    theta = torch.tensor([[[c * kx * fx, -s * kx * fy, tx], [s * ky * fx, c * ky * fy, ty]]], dtype=torch.float32)
    grid = F.affine_grid(theta, [1, 1, SIZE, SIZE], align_corners=False)
    img = F.grid_sample(image[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
    lab = F.grid_sample(label[None], grid, mode="nearest", padding_mode="zeros", align_corners=False)[0, 0]
    img = img.clamp(0, 1)
    if random.random() < 0.3:
        img = img.pow(random.uniform(0.7, 1.5))
    img = (img - 0.3) / 0.2
    if random.random() < 0.15:
        img = img + torch.randn_like(img) * random.uniform(0, 0.1)
    return img, lab.long()


def train_step():
    torch.manual_seed(0)
    random.seed(0)
    model = DeepLabV3Plus().train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    # Raw slices held in memory as the loader holds them (intensities already in [0, 1] here).
    images = [torch.rand(1, SLICE_H, SLICE_W) for _ in range(32)]
    labels = [torch.randint(0, CLASSES, (1, SLICE_H, SLICE_W)).float() for _ in range(32)]

    def step():
        picks = random.sample(range(len(images)), BATCH)
        pairs = [augment_sample(images[i], labels[i]) for i in picks]
        x = torch.stack([p[0] for p in pairs])
        y = torch.stack([p[1] for p in pairs])
        opt.zero_grad(set_to_none=True)
        dice_ce(model(x), y).backward()
        opt.step()
    return step


ACDC_BENCHMARKS = {"acdc_cpu_train_step_augmented": train_step}

if __name__ == "__main__":
    m = DeepLabV3Plus()
    print(f"{sum(p.numel() for p in m.parameters()) / 1e6:.2f} M parameters")
