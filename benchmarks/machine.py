"""What every benchmark file records about the machine it ran on, so that its numbers can be read later: the date,
the device, torch, the thread count, the processor and its bf16 flags, the load average before and after, and a free
note (what else ran). reporting.tables.machine_line turns it into the sentence above each benchmark table."""
from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path

import torch

from utils.runtime import cpu_info, native_bf16


def load_average() -> float | None:
    """The 1-minute load average (None where the system has none): a busy machine shows here."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def header(device: torch.device, note: str = "") -> dict:
    """The start of a benchmark's result file: date, device, torch, threads, machine, note, load before."""
    machine = {"platform": platform.platform(), **cpu_info(), "native_bf16": native_bf16(device),
               "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}
    if device.type == "cuda":
        machine["gpu"] = torch.cuda.get_device_name(device)
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "float32_matmul_precision": torch.get_float32_matmul_precision(), "machine": machine, "note": note,
            "load_average_1min": {"before": load_average()}}


def write(path: Path, result: dict) -> None:
    """Add the load average after the run and write the result file (JSON, a newline at the end)."""
    result.setdefault("load_average_1min", {})["after"] = load_average()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
