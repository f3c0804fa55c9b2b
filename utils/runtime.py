"""Device choice, seeding and RNG state: the pieces that make a run reproducible and portable."""
from __future__ import annotations

import os
import platform
import random

import numpy as np
import torch

from utils.errors import UserError


def get_device(name: str = "auto") -> torch.device:
    """'auto' picks cuda, then mps, then cpu; 'cpu', 'cuda', 'cuda:1' or 'mps' force one."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"--device={name!r} is not a device (use auto, cpu, cuda or mps)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError("--device=cuda but no CUDA GPU is available (use --device=auto or cpu)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise UserError("--device=mps but MPS is not available (use --device=auto or cpu)")
    return device


def usable_cpus() -> int:
    """The CPUs this process may run on: those of its affinity mask where the system has one (taskset, a batch
    scheduler's cgroup or cpuset), else every logical CPU. reporting.plan divides them between runs side by side."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices). The same seed gives the same numbers on the same CPU with the same
    number of threads; another thread count changes the order of floating-point sums (docs/speed.md, threads)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def cpu_info() -> dict:
    """The processor's name, family and model numbers (a virtual machine's name can hide its generation) and its bf16
    flags, from /proc/cpuinfo where there is one."""
    fields, flags = {}, []
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "cpu family", "model"):
                    fields.setdefault(key, value.strip())
                elif key == "flags" and not flags:
                    flags = value.split()
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in fields and "model" in fields:
        name = f"{name} (family {fields['cpu family']}, model {fields['model']})"
    return {"cpu": name, "logical_cpus": os.cpu_count(),
            "avx512_bf16": "avx512_bf16" in flags, "amx_bf16": "amx_bf16" in flags}


def run_environment(device: torch.device) -> dict:
    """Where a run went, for its config.json: the device (and the GPU's name), the processor, the CPU threads torch
    used and the torch version. Another processor or thread count changes the numbers in the last digits, and a
    training that is sensitive to them can end elsewhere (docs/speed.md, threads)."""
    where = {"device_used": str(device), "cpu": cpu_info()["cpu"]}
    if device.type == "cuda":
        where["gpu"] = torch.cuda.get_device_name(device)
    return {**where, "threads": torch.get_num_threads(), "torch_version": torch.__version__}


def rng_state() -> dict:
    """Every global RNG state, for checkpoints (so --resume continues the same random stream)."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


PRECISIONS = ("auto", "fp32", "bf16")


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes in bf16 natively: a CUDA GPU that supports it, or a CPU with AVX512-BF16 or AMX
    (read from /proc/cpuinfo; elsewhere bf16 would be emulated, and slower than fp32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto``: bf16 where the device has it natively (:func:`native_bf16`), else fp32; fp32 and bf16 as asked."""
    if precision not in PRECISIONS:
        raise UserError(f"--precision={precision}: use {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def autocast(device: torch.device, precision: str):
    """A context for the forward pass: bf16 autocast when asked for, else a no-op."""
    if precision == "fp32":
        return torch.autocast(device.type, enabled=False)
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    raise UserError(f"--precision={precision!r}: use fp32 or bf16")
