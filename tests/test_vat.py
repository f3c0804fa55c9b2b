"""utils.vat: exact k-th neighbour distances, and the VAT term against the closed form of a linear softmax model."""
import pytest
import torch
import torch.nn.functional as F

from models.vat import adversarial_direction, neighbour_distance, vat_loss


def test_neighbour_distance_is_the_kth_nearest_other_point():
    torch.manual_seed(0)
    x = torch.randn(237, 1, 5, 4)
    flat = x.flatten(1)
    d = torch.cdist(flat.double(), flat.double())
    d.fill_diagonal_(float("inf"))                             # a point is not its own neighbour
    for k in (1, 3, 10):
        want = d.sort(1).values[:, k - 1].float()
        assert torch.allclose(neighbour_distance(x, k, batch_size=50), want, atol=1e-4)
    dup = torch.cat([x[:1], x[:1], x[1:5]])                    # an exact duplicate is a neighbour at distance 0
    assert neighbour_distance(dup, 1)[:2].abs().max() < 1e-3
    with pytest.raises(ValueError, match="k=6"):
        neighbour_distance(x[:6], 6)


def test_vat_finds_the_one_direction_a_linear_softmax_model_is_sensitive_to():
    # two classes, logits = x @ W: q(.|x + r) depends on r only through (w1 - w0) . r, so the adversarial
    # direction is +-(w1 - w0) / |w1 - w0| and the VAT term is the KL at that shift of the logit difference
    torch.manual_seed(1)
    w = torch.randn(20, 2)
    fn = lambda v: v @ w                                       # noqa: E731
    x = torch.randn(64, 20)
    log_p = F.log_softmax(fn(x), 1)
    d = adversarial_direction(fn, x, log_p)
    u = (w[:, 1] - w[:, 0]) / (w[:, 1] - w[:, 0]).norm()
    assert torch.allclose(d.norm(dim=1), torch.ones(64), atol=1e-5)
    assert ((d @ u).abs() > 0.999).all()
    eps = torch.rand(64) + 0.5                                 # one radius per image
    torch.manual_seed(2)
    got = vat_loss(fn, x, eps)
    torch.manual_seed(2)                                       # the same random start, so the same sign per image
    sign = adversarial_direction(fn, x, log_p) @ u
    p = log_p.exp()
    want = (p * (log_p - F.log_softmax(fn(x + (sign * eps)[:, None] * u), 1))).sum(1).mean()
    assert torch.allclose(got, want, rtol=1e-4)
    rand = F.normalize(torch.randn(64, 20), dim=1) * eps[:, None]
    assert got > (p * (log_p - F.log_softmax(fn(x + rand), 1))).sum(1).mean()


def test_vat_is_zero_for_a_model_that_ignores_its_input_and_trains_only_through_the_perturbed_pass():
    const = torch.nn.Parameter(torch.randn(3))
    x = torch.rand(8, 1, 28, 28)
    assert vat_loss(lambda v: const.expand(len(v), 3) + 0 * v.flatten(1)[:, :1], x, 1.0).abs() < 1e-6
    lin = torch.nn.Linear(784, 3)
    logits = lin(x.flatten(1))
    loss = vat_loss(lambda v: lin(v.flatten(1)), x, 2.0, logits=logits)
    assert loss > 0
    loss.backward()
    assert lin.weight.grad.abs().sum() > 0                    # through q(.|x + r_adv); the clean logits are a target
