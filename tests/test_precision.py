"""The precision choice: auto means bf16 only where the device has it natively; fit runs the step under it."""
import builtins
import io

import pytest
import torch
from torch import nn

import utils.runtime
from models.aae import AAE, make_optimizers, make_step
from utils.errors import UserError
from utils.runtime import native_bf16, resolve_precision
from utils.training import fit


@pytest.mark.parametrize("flags, native", [("fpu avx2 avx512f", False), ("fpu avx512f avx512_bf16", True),
                                           ("fpu amx_tile amx_bf16", True)])
def test_auto_is_bf16_only_on_a_cpu_with_native_bf16(monkeypatch, flags, native):
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: io.StringIO(f"processor : 0\nflags : {flags}\n")
                        if path == "/proc/cpuinfo" else real_open(path, *a, **k))
    cpu = torch.device("cpu")
    assert native_bf16(cpu) is native
    assert resolve_precision("auto", cpu) == ("bf16" if native else "fp32")
    assert resolve_precision("fp32", cpu) == "fp32" and resolve_precision("bf16", cpu) == "bf16"
    with pytest.raises(UserError, match="--precision=fp16"):
        resolve_precision("fp16", cpu)


def test_no_native_bf16_without_cpuinfo(monkeypatch):
    def missing(path, *a, **k):
        raise FileNotFoundError(path)

    monkeypatch.setattr(builtins, "open", missing)
    assert utils.runtime.native_bf16(torch.device("cpu")) is False


@pytest.mark.parametrize("precision, dtype", [("fp32", torch.float32), ("bf16", torch.bfloat16)])
def test_fit_runs_the_step_under_the_chosen_precision(tmp_path, precision, dtype):
    model = nn.Linear(4, 2)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    seen = []

    def step(idx):
        out = model(x[idx])
        seen.append(out.dtype)
        return {"loss": nn.functional.cross_entropy(out.float(), y[idx])}

    fit(model, torch.optim.SGD(model.parameters(), 0.1), step, 32, epochs=1, batch_size=8, seed=0,
        checkpoint=tmp_path / "ck.pt", kind="demo", model_config={}, progress=False, precision=precision)
    assert seen and set(seen) == {dtype}
    assert all(p.dtype == torch.float32 for p in model.parameters())    # the weights stay fp32


def test_an_aae_step_with_its_own_updates_trains_under_bf16(tmp_path):
    torch.manual_seed(0)
    model = AAE("semi_supervised", hidden=32)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10
    opts = make_optimizers(model, "adam", 1e-3, 0.5)
    step, reseed = make_step(model, opts, x, y, torch.arange(20), batch_size=16)
    reseed(torch.Generator().manual_seed(0))
    history = fit(model, opts, lambda idx: step(idx + 20), 44, epochs=1, batch_size=16, seed=0,
                  checkpoint=tmp_path / "ck.pt", kind="aae", model_config=model.config, progress=False,
                  precision="bf16")
    assert all(torch.isfinite(torch.tensor(v)) for k, v in history[0].items() if k != "epoch")
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
