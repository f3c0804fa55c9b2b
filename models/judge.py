"""The judge: an image classifier trained on real training images only, which decides the class of generated
images for every system (main_judge.py trains one per data set; evaluation/judge.py loads it)."""
from __future__ import annotations

import torch
from torch import nn

JUDGE_KIND = "judge"


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class Judge(nn.Module):
    """A small VGG-style CNN on pixels: two blocks of two 3x3 convolutions (``channels``, then 2 x ``channels``) with
    batch norm, ReLU and 2x2 max pooling, then dropout, ``hidden`` ReLU units, dropout and 10 logits. It is none of
    the models it judges, and it sees only real images while it learns, so it neither shares their mistakes nor is
    fooled by their decodings as an encoder that produced the features would be."""

    def __init__(self, channels: int = 32, hidden: int = 256, dropout: float = 0.3):
        super().__init__()
        self.config = {"arch": "vgg4", "channels": channels, "hidden": hidden, "dropout": dropout}
        c = channels
        self.net = nn.Sequential(*_conv(1, c), *_conv(c, c), nn.MaxPool2d(2),
                                 *_conv(c, 2 * c), *_conv(2 * c, 2 * c), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Dropout(dropout), nn.Linear(2 * c * 7 * 7, hidden), nn.ReLU(),
                                 nn.Dropout(dropout), nn.Linear(hidden, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(-1, 1, 28, 28))

    @torch.inference_mode()
    def predict(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """The class of each image of ``x`` (any shape with 784 pixels per image, values in [0, 1]), on the CPU."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = torch.cat([self(p.to(device).float()).argmax(1).cpu() for p in x.reshape(-1, 784).split(batch_size)])
        self.train(was_training)
        return out
