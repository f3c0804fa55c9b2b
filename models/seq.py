"""SEQ's shared pieces: the kinds of the files main_encoder.py writes and the decoders read, and convex
combinations of features.

Convex combinations: a cell of the grid mixes three anchor features z1, z2, z3 with weights
(1 - a - b, b, a), a = row / steps, b = column / steps. Only cells with a + b <= 1 are convex
combinations; the original script also decoded the other cells (negative weight on z1), which is
extrapolation (docs/originals.md 1.5). Those cells stay blank unless ``extrapolate`` is switched on.
"""
from __future__ import annotations

import numpy as np
import torch

ENCODER_KIND = "seq-encoder"
QUANTIZER_KIND = "seq-quantizers"
FEATURES_KIND = "seq-features"
DECODER_KIND = "seq-decoder"


# ----------------------------------------------------------------------------- convex combinations
def convex_grid_weights(steps: int = 3, extrapolate: bool = False) -> np.ndarray:
    """Weights (steps+1, steps+1, 3) on anchors (z1, z2, z3); NaN where a cell is not convex.

    Cell (i, j): a = i/steps on z3, b = j/steps on z2, 1 - a - b on z1. Corners: (0, 0) = z1,
    (0, steps) = z2, (steps, 0) = z3; (steps, steps) = z2 + z3 - z1 exists only with ``extrapolate``.
    """
    a = np.arange(steps + 1)[:, None] / steps
    b = np.arange(steps + 1)[None, :] / steps
    a, b = np.broadcast_arrays(a, b)
    w = np.stack([1 - a - b, b, a], axis=-1)
    if not extrapolate:
        w[(a + b) > 1 + 1e-9] = np.nan
    return w


def combine(anchors: torch.Tensor, weights: np.ndarray) -> torch.Tensor:
    """Feature vectors for every valid cell: weights (..., 3) @ anchors (3, d) -> (n_valid, d)."""
    flat = torch.as_tensor(weights.reshape(-1, 3), dtype=anchors.dtype)
    valid = ~torch.isnan(flat).any(1)
    return flat[valid] @ anchors
