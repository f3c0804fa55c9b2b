"""One minibatch training loop shared by every script, with checkpoints and exact resume; the optimizer and schedule.

The loop is written out once here so that the scripts stay short. What makes ``--resume`` exact:
- the order of the minibatches of epoch ``e`` comes from a generator seeded with ``(seed, e)``, so it
  does not depend on how many epochs ran before a restart;
- the checkpoint written after every epoch holds the model, the optimizer, the scheduler, the epoch,
  the loss history and every global RNG state (dropout, sampling), restored before the next epoch (and, with
  ``ema_decay``, the running average of the weights).
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from utils.errors import UserError
from utils.io import load_checkpoint, load_json, save_checkpoint
from utils.progress import bar, log
from utils.runtime import autocast, rng_state, set_rng_state

# what a run checkpoint that cannot be resumed leaves a user to do
RESTART = "pass --overwrite=true instead of --resume=true to start afresh"


def batch_order(n: int, batch_size: int, seed: int, epoch: int, drop_last: bool = True) -> list[torch.Tensor]:
    """Shuffled index batches for one epoch, a pure function of (seed, epoch)."""
    gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
    perm = torch.randperm(n, generator=gen)
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    return list(perm[:stop].split(batch_size))


def make_optimizer(params, lr: float, device: torch.device, weight_decay: float = 0.0, betas=(0.9, 0.999)):
    """Adam over ``params`` (a module's parameters, or a list of tensors); the fused kernel (one pass over the
    weights) where torch has one for this device.

    On a CPU the unfused Adam update is a large part of each training step: of CAE-4's 51 M weights, and of the
    AAE's, whose encoder is updated by three optimizers per step (docs/speed.md).
    """
    fused = device.type in ("cpu", "cuda")
    params = params.parameters() if isinstance(params, torch.nn.Module) else params
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, betas=betas, fused=fused)


def make_scheduler(optimizer, schedule: str, lr: float, total_steps: int, warmup: float = 0.15):
    """'onecycle': warm up to ``lr`` then anneal to ~0 (fast convergence in few epochs); 'constant': none."""
    if schedule == "constant":
        return None
    if schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=max(total_steps, 1),
                                                   pct_start=warmup)
    raise ValueError(f"unknown schedule {schedule!r} (use onecycle or constant)")


def finished(checkpoint, kind: str, epochs: int) -> bool:
    """Whether ``checkpoint`` holds a run that finished ``epochs`` epochs (weights only): resuming it trains nothing,
    so work that only training needs (the VAT radii) can be skipped."""
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        return False
    state = load_checkpoint(checkpoint, kind, RESTART)
    return state["optimizer"] is None and state["epoch"] >= epochs


def restart_checkpoints(run: Path, restarts: int, resume: bool) -> list[Path]:
    """The checkpoints of a run that trains ``restarts`` times: ``model.pt`` for one training; ``restart-<r>.pt``
    each for several, and ``model.pt`` then becomes a copy of the one kept (:func:`keep_restart`). Resuming a run that
    trained once with several trainings is refused in one line."""
    run = Path(run)
    checkpoints = [run / "model.pt"] if restarts == 1 else [run / f"restart-{r}.pt" for r in range(restarts)]
    if resume and restarts > 1 and (run / "model.pt").is_file() and not checkpoints[0].is_file():
        raise UserError(f"{run / 'model.pt'}: cannot resume, the run trained once and restarts={restarts} asks for "
                        f"{restarts} trainings; pass --restarts=1, or --overwrite=true instead of --resume=true to "
                        "start afresh")
    return checkpoints


def keep_restart(run: Path, checkpoint: Path, kind: str) -> None:
    """Make the kept training's ``checkpoint`` the run's ``model.pt`` (a copy; each training keeps its own)."""
    save_checkpoint(Path(run) / "model.pt", load_checkpoint(checkpoint, kind))


def training_only(work: Callable | None, trains: bool, run: Path, key: str):
    """(``work()``, its seconds) for work that only training needs (the VAT radii): run and timed when the run
    trains; (None, 0.0) without work; for a re-evaluation of a finished run (``trains`` False) nothing runs and the
    seconds are the training run's, ``seconds[key]`` of the run folder's metrics.json (0 without one)."""
    if not trains:
        metrics = Path(run) / "metrics.json"
        return None, float(load_json(metrics).get("seconds", {}).get(key, 0.0)) if metrics.is_file() else 0.0
    if work is None:
        return None, 0.0
    t0 = time.perf_counter()
    out = work()
    return out, time.perf_counter() - t0


def fit(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | dict,
    step: Callable[[torch.Tensor], dict],
    n_train: int,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    checkpoint: str | Path,
    kind: str,
    model_config: dict,
    scheduler=None,
    resume: bool = False,
    progress: bool = True,
    desc: str = "train",
    extra: dict | None = None,
    epoch_start: Callable[[int], None] | None = None,
    precision: str = "fp32",
    ema_decay: float = 0.0,
) -> list[dict]:
    """Train for ``epochs`` passes; return the per-epoch history of mean loss terms.

    ``step(indices)`` runs the forward pass on the training examples ``indices`` and returns a dict of
    scalar tensors whose key ``loss`` is minimised (the other keys are logged). The checkpoint file is
    rewritten after each epoch with ``kind`` and ``model_config`` (enough to rebuild the model) and
    ``extra``; with ``resume`` it continues from the epoch stored there. ``extra["recipe"]``, if given, holds the
    loss weights and options that must not change across a resume: a resume with another recipe is refused. The
    checkpoint of the last epoch keeps the weights only (no optimizer or scheduler state, a third to two thirds of
    the file): a finished run can be resumed (nothing left to train) but not extended.

    ``optimizer`` may also be a dict of optimizers (one per training phase, as in the adversarial
    autoencoders): then ``step`` makes its own updates and only reports its terms, and the checkpoint
    holds every optimizer. ``epoch_start(epoch)`` (0-based), if given, runs before each epoch, after a
    resume too: the place for per-epoch schedules that must be a function of the epoch alone. ``precision``
    "bf16" runs ``step`` under bf16 autocast (matrix products in bf16, the rest as autocast decides); a ``step``
    that makes its own updates leaves autocast for its backward passes.

    ``ema_decay`` > 0 keeps an exponential moving average of the weights (and buffers), updated after every step
    (torch.optim.swa_utils.AveragedModel; Polyak averaging, the "mean teacher" of Tarvainen & Valpola 2017): when
    training ends the model takes the averaged weights, and the last checkpoint keeps those, so whatever reads the
    finished run sees the averaged model. The checkpoints before the last keep both, so a resume continues exactly.
    """
    manual = isinstance(optimizer, dict)
    history: list[dict] = []
    start = 0
    checkpoint = Path(checkpoint)
    averaged = (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(ema_decay), use_buffers=True)
                if ema_decay > 0 else None)
    if resume and checkpoint.is_file():
        state = load_checkpoint(checkpoint, kind, RESTART)
        # a key added to the model's config after the checkpoint was written: the value that behaves as before
        saved_config = {**getattr(model, "ADDED_CONFIG", {}), **state["model_config"]}
        if saved_config != model_config:
            raise UserError(f"{checkpoint}: cannot resume, it holds {saved_config}, not {model_config} "
                            f"({RESTART})")
        recipe, saved = (extra or {}).get("recipe"), state.get("recipe")
        if recipe is not None and saved is not None and recipe != saved:
            changed = ", ".join(f"{k} {saved.get(k)} -> {recipe.get(k)}" for k in sorted({*recipe, *saved})
                                if recipe.get(k) != saved.get(k))
            raise UserError(f"{checkpoint}: cannot resume with a different training recipe ({changed}); pass the "
                            "run's settings again, or --overwrite=true instead of --resume=true to start afresh")
        model.load_state_dict(state["model"])
        if state["optimizer"] is None:  # a finished run: weights only (the averaged ones, with ema_decay)
            if state["epoch"] < epochs:
                raise UserError(f"{checkpoint}: training finished after epoch {state['epoch']} and the checkpoint "
                                f"keeps the weights only, so it cannot continue exactly to epoch {epochs}; pass "
                                "--overwrite=true to train afresh")
        elif manual:
            for name, opt in optimizer.items():
                opt.load_state_dict(state["optimizer"][name])
        else:
            optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state.get("scheduler") is not None:
            scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"])
        history, start = state["history"], state["epoch"]
        if averaged is not None and state.get("ema") is not None:
            averaged.load_state_dict(state["ema"])
        if start < epochs:
            log(f"resuming {desc} from {checkpoint} after epoch {start}/{epochs}")
    device = next(model.parameters()).device
    total_dtype = torch.float32 if device.type == "mps" else torch.float64   # MPS has no float64
    for epoch in range(start, epochs):
        model.train()
        if epoch_start is not None:
            epoch_start(epoch)
        batches = batch_order(n_train, batch_size, seed, epoch)
        sums: dict[str, torch.Tensor] = {}
        t0 = time.perf_counter()
        pbar = bar(batches, enabled=progress, desc=f"{desc} epoch {epoch + 1}/{epochs}", unit="batch")
        for i, idx in enumerate(pbar):
            with autocast(device, precision):
                terms = step(idx.to(device))
            if not manual:
                optimizer.zero_grad(set_to_none=True)
                terms["loss"].backward()
                optimizer.step()
            if scheduler is not None:
                scheduler.step()
            if averaged is not None:
                averaged.update_parameters(model)
            # summed on the device: reading a number back every step would make a GPU wait for the host
            for k, v in terms.items():
                v = v.detach().to(total_dtype)
                sums[k] = sums[k] + v if k in sums else v
            if i % 10 == 0 or i == len(batches) - 1:   # one look at the host every ten steps
                means = {k: float(v) / (i + 1) for k, v in sums.items()}
                bad = [k for k, v in means.items() if not math.isfinite(v)]
                if bad:
                    raise UserError(f"{desc}: {bad[0]} became {means[bad[0]]} at epoch {epoch + 1} by batch {i}; "
                                    "lower the learning rate")
                if progress:
                    pbar.set_postfix({k: f"{v:.4g}" for k, v in means.items()})
        seconds = time.perf_counter() - t0
        row = {"epoch": epoch + 1, **{k: float(v) / max(len(batches), 1) for k, v in sums.items()},
               "seconds": seconds, "images_per_second": len(batches) * batch_size / max(seconds, 1e-9)}
        history.append(row)
        log(f"{desc} epoch {epoch + 1}/{epochs}: " + ", ".join(
            f"{k} {v:.4g}" for k, v in row.items() if k != "epoch" and not (isinstance(v, float) and math.isnan(v))))
        finished = epoch + 1 == epochs
        if finished and averaged is not None:       # the run's result is the averaged model
            model.load_state_dict(averaged.module.state_dict())
        payload = {
            "kind": kind, "model_config": model_config, "model": model.state_dict(),
            "ema": averaged.state_dict() if averaged is not None and not finished else None,
            "optimizer": None if finished else (
                {k: o.state_dict() for k, o in optimizer.items()} if manual else optimizer.state_dict()),
            "scheduler": scheduler.state_dict() if scheduler is not None and not finished else None,
            "epoch": epoch + 1, "history": history, "rng": rng_state(), **(extra or {}),
        }
        try:
            save_checkpoint(checkpoint, payload)
        except OSError as err:
            raise UserError(f"{checkpoint}: could not write the checkpoint of epoch {epoch + 1} "
                            f"({err.strerror or err}); the one of epoch {epoch} is kept, and --resume=true continues "
                            "from it") from None
    return history
