"""utils.augment: the identity without ranges; otherwise pixels move but mass and shape stay; a flip mirrors exactly
half the images on average, each one exactly."""
import math

import torch

from utils.augment import random_affine, random_flip


def test_no_range_is_the_identity():
    x = torch.rand(4, 1, 28, 28)
    assert torch.allclose(random_affine(x, rotation=0.0, scale=0.0, shift=0.0), x, atol=1e-5)


def test_rotation_keeps_the_ink():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 5:9, 10:20] = 1.0
    gen = torch.Generator().manual_seed(0)
    out = random_affine(x, rotation=15.0, scale=0.0, shift=0.0, generator=gen)
    assert out.shape == x.shape and not torch.allclose(out, x)
    assert math.isclose(out.sum().item(), x.sum().item(), rel_tol=0.05)  # a rotation keeps the ink


def test_seeded_generator_is_deterministic():
    x = torch.rand(3, 1, 28, 28)
    a = random_affine(x, generator=torch.Generator().manual_seed(1))
    b = random_affine(x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_flip_mirrors_some_images_exactly_and_leaves_the_others():
    x = torch.rand(400, 1, 28, 28)
    out = random_flip(x, generator=torch.Generator().manual_seed(0))
    mirrored = torch.tensor([torch.equal(o, i.flip(-1)) for o, i in zip(out, x)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, x)])
    assert bool((mirrored ^ kept).all())                    # each image is one or the other, untouched otherwise
    assert 150 < int(mirrored.sum()) < 250                  # about half
    again = random_flip(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
