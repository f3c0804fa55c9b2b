"""The judge: an image classifier trained on real images only, which decides the class of generated images."""
from __future__ import annotations

import torch
from torch import nn

JUDGE_KIND = "mlvae-judge"


class Judge(nn.Module):
    """A small CNN on pixels that decides the class of generated images: conv 32 (3x3) -> pool -> conv 64 (3x3)
    -> pool -> 128 -> 10, ReLU. Trained on real training images only; a CNN is far less thrown by the blur of VAE
    decodings than a pixel MLP (docs/mlvae.md)."""

    def __init__(self, hidden: int = 128):
        super().__init__()
        self.config = {"arch": "cnn", "hidden": hidden}
        self.net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Linear(64 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)

    @torch.inference_mode()
    def predict(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        self.eval()
        device = next(self.parameters()).device
        return torch.cat([self(p.to(device)).argmax(1).cpu() for p in x.split(batch_size)])
