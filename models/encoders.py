"""SEQ encoders (docs/originals.md 1.2): a feature extractor followed by a linear softmax head.

- CAE-4: conv 32 5x5, conv 64 5x5 (stride 1, padding 2, no pooling), FC 1024, FC 128, ReLU after each.
- LAE-4: MLP 784-1024-512-256-128, ReLU after each.
- LAE-2: MLP 784-256-64, ReLU after each.

The features z are the post-ReLU activations of the last hidden layer (non-negative, as in the paper);
the head maps z to 10 logits. Every encoder records the keyword arguments it was built with in
``config`` so that :func:`build_encoder` rebuilds it from a checkpoint alone.
"""
from __future__ import annotations

import torch
from torch import nn

from utils.errors import UserError


class Encoder(nn.Module):
    """``features(x)`` gives the hidden code z; ``forward(x)`` gives class logits W z + b."""

    def __init__(self, arch: str, body: nn.Sequential, feature_dim: int, n_classes: int, binarize: bool):
        super().__init__()
        self.arch, self.feature_dim, self.binarize = arch, feature_dim, binarize
        self.body = body
        self.head = nn.Linear(feature_dim, n_classes)
        self.config = {"arch": arch, "n_classes": n_classes, "binarize": binarize}

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Check the shape (B, 1, 28, 28) of pixels in [0, 1]; binarize them if asked to."""
        if x.dim() != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"expected images of shape (B, 1, 28, 28), got {tuple(x.shape)}")
        if not self.binarize:
            return x
        lo = x.amin(dim=(1, 2, 3), keepdim=True)
        hi = x.amax(dim=(1, 2, 3), keepdim=True)
        return ((x - lo) / (hi - lo).clamp_min(1e-8)).round()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.prepare(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    @torch.inference_mode()
    def embed(self, x: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
        """Features and logits of all images ``x`` (any device), in eval mode, batch by batch."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        feats, logits = [], []
        for part in x.split(batch_size):
            z = self.features(part.to(device)).float()
            feats.append(z)
            logits.append(self.head(z))
        self.train(was_training)
        return torch.cat(feats), torch.cat(logits)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers)


def cae4() -> tuple[nn.Sequential, int]:
    body = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(64 * 28 * 28, 1024), nn.ReLU(),
        nn.Linear(1024, 128), nn.ReLU(),
    )
    return body, 128


ARCHS = {
    "cae4": cae4,
    "lae4": lambda: (_mlp([784, 1024, 512, 256, 128]), 128),
    "lae2": lambda: (_mlp([784, 256, 64]), 64),
}
DISPLAY = {"cae4": "CAE-4", "lae4": "LAE-4", "lae2": "LAE-2"}


def build_encoder(arch: str, n_classes: int = 10, binarize: bool = False) -> Encoder:
    """Build an encoder by name. ``binarize`` reproduces the input of the paper's LAE scripts
    (per-image min-max scaling, then rounding to {0, 1}); off by default."""
    if arch not in ARCHS:
        raise UserError(f"unknown encoder {arch!r}: choose from {', '.join(ARCHS)}")
    body, dim = ARCHS[arch]()
    return Encoder(arch, body, dim, n_classes, binarize)


def encoder_from_checkpoint(state: dict) -> Encoder:
    """Rebuild a trained encoder from a checkpoint dict written by main_encoder.py."""
    model = build_encoder(**state["model_config"])
    model.load_state_dict(state["model"])
    return model.eval()
