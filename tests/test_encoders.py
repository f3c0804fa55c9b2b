import pytest
import torch

from models.encoders import build_encoder, encoder_from_checkpoint
from utils.errors import UserError


@pytest.mark.parametrize("arch, dim", [("cae4", 128), ("lae4", 128), ("lae2", 64)])
def test_shapes_and_nonnegative_features(arch, dim):
    model = build_encoder(arch).eval()
    x = torch.rand(3, 1, 28, 28)
    z = model.features(x)
    assert z.shape == (3, dim) and (z >= 0).all()  # post-ReLU features, as in the paper
    assert model(x).shape == (3, 10)
    feats, logits = model.embed(x, batch_size=2)
    assert torch.allclose(feats, z, atol=1e-6) and torch.allclose(logits, model.head(z), atol=1e-6)


def test_cae4_layer_sizes_follow_the_spec():
    convs = [m for m in build_encoder("cae4").modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in build_encoder("cae4").modules() if isinstance(m, torch.nn.Linear)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(32, (5, 5)), (64, (5, 5))]
    assert [(l.in_features, l.out_features) for l in linears] == [(50176, 1024), (1024, 128), (128, 10)]


def test_binarize_is_per_image_min_max_then_round():
    model = build_encoder("lae2", binarize=True)
    x = torch.tensor([0.2, 0.4, 0.6, 0.9]).repeat(196).reshape(1, 1, 28, 28)
    # min-max: 0, 0.286, 0.571, 1 -> rounded 0, 0, 1, 1
    assert model.prepare(x).flatten()[:4].tolist() == [0, 0, 1, 1]


def test_rebuild_from_checkpoint_alone():
    model = build_encoder("lae4")
    state = {"model_config": model.config, "model": model.state_dict()}
    again = encoder_from_checkpoint(state)
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(again(x), model.eval()(x))


def test_wrong_shape_and_unknown_arch():
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\)"):
        build_encoder("lae2")(torch.rand(2, 784))
    with pytest.raises(UserError, match="unknown encoder"):
        build_encoder("resnet")
