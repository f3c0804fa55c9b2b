import pytest
import torch
from torch import nn

from utils.errors import UserError
from utils.io import load_checkpoint, save_checkpoint
from utils.runtime import seed_everything
from utils.training import batch_order, fit


def test_round_trip_and_one_line_errors(tmp_path):
    path = tmp_path / "ck.pt"
    save_checkpoint(path, {"kind": "demo", "w": torch.arange(3)})
    assert torch.equal(load_checkpoint(path, "demo")["w"], torch.arange(3))
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind
    with pytest.raises(UserError, match="holds a 'demo' checkpoint, expected 'other'; run X"):
        load_checkpoint(path, "other", hint="run X")
    with pytest.raises(UserError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt", "demo")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "bad.pt", "demo")


def test_failed_write_keeps_the_old_checkpoint(tmp_path):
    path = tmp_path / "ck.pt"
    save_checkpoint(path, {"kind": "demo", "v": 1})
    with pytest.raises(Exception):
        save_checkpoint(path, {"kind": "demo", "v": lambda: 0})  # a lambda cannot be pickled
    assert load_checkpoint(path, "demo")["v"] == 1


def test_batch_order_depends_only_on_seed_and_epoch():
    a = batch_order(10, 3, seed=1, epoch=2)
    assert [len(b) for b in a] == [3, 3, 3]  # last partial batch dropped
    assert all(torch.equal(x, y) for x, y in zip(a, batch_order(10, 3, seed=1, epoch=2)))
    assert not torch.equal(torch.cat(a), torch.cat(batch_order(10, 3, seed=1, epoch=3)))


def _train(tmp_path, epochs, resume, name="ck.pt", ema_decay=0.0, steps=None):
    seed_everything(0)
    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, 5, 0.5)

    def step(idx):
        if steps is not None:      # the weights each step starts from
            steps.append([p.detach().clone() for p in model.parameters()])
        return {"loss": nn.functional.cross_entropy(model(x[idx]), y[idx])}

    hist = fit(model, opt, step, 64, epochs=epochs, batch_size=16, seed=0, checkpoint=tmp_path / name,
               kind="demo", model_config={"n": 16}, scheduler=sched, resume=resume, progress=False,
               ema_decay=ema_decay)
    return model, hist


def test_resume_continues_to_the_same_result(tmp_path, interrupt_after):
    straight, hist = _train(tmp_path, 3, resume=False, name="a.pt")
    with interrupt_after(2):
        _train(tmp_path, 3, resume=False, name="b.pt")
    assert load_checkpoint(tmp_path / "b.pt", "demo")["optimizer"] is not None   # unfinished: it can continue
    resumed, hist_b = _train(tmp_path, 3, resume=True, name="b.pt")
    for p, q in zip(straight.parameters(), resumed.parameters()):
        assert torch.equal(p, q)
    assert [h["loss"] for h in hist] == [h["loss"] for h in hist_b]


def test_ema_ends_with_the_moving_average_of_the_weights_after_every_step_and_resumes_exactly(tmp_path,
                                                                                             interrupt_after):
    """With ema_decay d the finished model is a_n = d a_(n-1) + (1 - d) w_n over the weights w_n after each step
    (a_1 = w_1), computed here by hand; the finished checkpoint keeps a_n, and an interrupted run resumes to it."""
    steps = []
    raw, _ = _train(tmp_path, 2, resume=False, name="raw.pt", steps=steps)
    after = steps[1:] + [[p.detach() for p in raw.parameters()]]          # the weights after each of the 8 steps
    expected = [w.clone() for w in after[0]]
    for ws in after[1:]:
        expected = [0.9 * a + 0.1 * w for a, w in zip(expected, ws)]
    averaged, _ = _train(tmp_path, 2, resume=False, name="ema.pt", ema_decay=0.9)
    for p, e, w in zip(averaged.parameters(), expected, after[-1]):
        assert torch.allclose(p, e, atol=1e-6) and not torch.allclose(p, w, atol=1e-4)
    state = load_checkpoint(tmp_path / "ema.pt", "demo")
    assert state["ema"] is None and all(torch.equal(state["model"][k], v) for k, v in averaged.state_dict().items())
    with interrupt_after(1):
        _train(tmp_path, 2, resume=False, name="cut.pt", ema_decay=0.9)
    assert load_checkpoint(tmp_path / "cut.pt", "demo")["ema"] is not None
    resumed, _ = _train(tmp_path, 2, resume=True, name="cut.pt", ema_decay=0.9)
    assert all(torch.equal(p, q) for p, q in zip(averaged.parameters(), resumed.parameters()))


def test_a_finished_run_keeps_weights_only_and_cannot_be_extended(tmp_path):
    model, _ = _train(tmp_path, 2, resume=False)
    state = load_checkpoint(tmp_path / "ck.pt", "demo")
    assert state["optimizer"] is None and state["scheduler"] is None and state["epoch"] == 2
    again, hist = _train(tmp_path, 2, resume=True)              # nothing left to train: the weights load
    assert len(hist) == 2 and all(torch.equal(p, q) for p, q in zip(model.parameters(), again.parameters()))
    with pytest.raises(UserError, match="keeps the weights only"):
        _train(tmp_path, 3, resume=True)


def test_a_failed_checkpoint_write_is_one_line_and_keeps_the_last_good_one(tmp_path, monkeypatch, interrupt_after):
    import utils.training

    with interrupt_after(1):
        _train(tmp_path, 3, resume=False)
    good = load_checkpoint(tmp_path / "ck.pt", "demo")

    def full_disk(path, payload):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(utils.training, "save_checkpoint", full_disk)
    with pytest.raises(UserError, match="could not write the checkpoint of epoch 2 .*the one of epoch 1 is kept"):
        _train(tmp_path, 3, resume=True)
    assert load_checkpoint(tmp_path / "ck.pt", "demo")["epoch"] == good["epoch"] == 1


def test_resume_refuses_another_models_checkpoint(tmp_path):
    _train(tmp_path, 1, resume=False)
    model = nn.Linear(5, 3)
    with pytest.raises(UserError, match="cannot resume"):
        fit(model, torch.optim.SGD(model.parameters(), 0.1), lambda i: {}, 64, epochs=2, batch_size=16,
            seed=0, checkpoint=tmp_path / "ck.pt", kind="demo", model_config={"n": 99}, resume=True)


def test_a_loss_that_is_no_longer_finite_stops_training_in_one_line(tmp_path):
    model = nn.Linear(5, 1)
    x = torch.randn(64, 5)

    def step(idx):
        out = model(x[idx]).mean()
        return {"loss": out * float("nan") if len(idx) else out}

    with pytest.raises(UserError, match=r"demo: loss became nan at epoch 1 by batch 0; lower the learning rate"):
        fit(model, torch.optim.SGD(model.parameters(), 0.1), step, 64, epochs=2, batch_size=16, seed=0,
            checkpoint=tmp_path / "ck.pt", kind="demo", model_config={}, progress=False, desc="demo")
    assert not (tmp_path / "ck.pt").exists()
