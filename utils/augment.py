"""Small random affine transforms and left-right mirroring: label-preserving augmentations of few labelled images."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(x: torch.Tensor, rotation: float = 15.0, scale: float = 0.1, shift: float = 0.12,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image of ``x`` (B, 1, H, W) rotated by up to +-``rotation`` degrees, scaled by 1 +- ``scale`` and shifted
    by up to +-``shift`` of the half-width (0.12 = 1.7 pixels on 28x28), bilinear, zero padding. Draws from
    ``generator`` (on the CPU) or the global RNG; all zero ranges return ``x`` unchanged."""
    b = len(x)
    u = (torch.rand(b, 4, generator=generator) * 2 - 1).to(x.device)
    angle = u[:, 0] * math.radians(rotation)
    s = 1 + u[:, 1] * scale
    theta = torch.stack([torch.stack([s * angle.cos(), -s * angle.sin(), u[:, 2] * shift], 1),
                         torch.stack([s * angle.sin(), s * angle.cos(), u[:, 3] * shift], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


def random_flip(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image of ``x`` (B, 1, H, W) mirrored left to right with probability 1/2 (a garment stays its category; a
    digit does not). Draws from ``generator`` (on the CPU) or the global RNG."""
    flip = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(-1), x)
