"""SEQ decoders: the mirror image of each encoder (docs/originals.md 1.2), mapping features z to images.

The decoders return logits; :meth:`Decoder.decode` applies the sigmoid. Training uses
``binary_cross_entropy_with_logits``, which equals BCE on the sigmoid output but is numerically stable.
"""
from __future__ import annotations

import torch
from torch import nn

from utils.errors import UserError


class Decoder(nn.Module):
    def __init__(self, arch: str, body: nn.Sequential, feature_dim: int):
        super().__init__()
        self.arch, self.feature_dim, self.body = arch, feature_dim, body
        self.config = {"arch": arch}

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits of shape (B, 1, 28, 28)."""
        if z.dim() != 2 or z.shape[1] != self.feature_dim:
            raise ValueError(f"{self.arch} decoder expects features of shape (B, {self.feature_dim}), "
                             f"got {tuple(z.shape)}")
        return self.body(z).view(-1, 1, 28, 28)

    @torch.inference_mode()
    def decode(self, z: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Images in [0, 1] for features ``z``, in eval mode, batch by batch (returned on the CPU)."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = torch.cat([torch.sigmoid(self(part.to(device).float())).cpu() for part in z.split(batch_size)])
        self.train(was_training)
        return out


def _cae4() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(128, 1024), nn.ReLU(),
        nn.Linear(1024, 64 * 28 * 28), nn.ReLU(),
        nn.Unflatten(1, (64, 28, 28)),
        nn.ConvTranspose2d(64, 32, 5, padding=2), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 5, padding=2),
    )


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


DECODERS = {
    "cae4": (_cae4, 128),
    "lae4": (lambda: _mlp([128, 256, 512, 1024, 784]), 128),
    "lae2": (lambda: _mlp([64, 256, 784]), 64),
}


def build_decoder(arch: str) -> Decoder:
    if arch not in DECODERS:
        raise UserError(f"unknown decoder {arch!r}: choose from {', '.join(DECODERS)}")
    make, dim = DECODERS[arch]
    return Decoder(arch, make(), dim)
