"""What every throughput figure is stamped with (machine, date, command, load), and the throughput plots.

The load average matters: a figure measured while other jobs used the cores is lower than the
machine can do, and `stamp()` marks it (`under_load`) so the results say so.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

OTHERS = 0.5  # load average of other jobs above which a figure is marked as measured under load


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "ram_gib": ram_gib(), "arch": platform.machine(),
            "python": platform.python_version(), "gpu": gpu_name()}


def gpu_name() -> str | None:
    """The first CUDA device's name when torch sees one (without importing torch when it is absent)."""
    if "torch" not in sys.modules:
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            return None
    try:
        import torch

        return str(torch.cuda.get_device_name(0)) if torch.cuda.is_available() else None
    except Exception:  # a broken CUDA install must not stop a CPU benchmark
        return None


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []


def stamp(cores_used: int, started_load: Sequence[float] | None = None) -> dict[str, Any]:
    """Date, command, machine and load for a figure. `under_load`: other jobs were running, i.e. the
    1-minute load average was above 0.5 before the run, or above the run's own cores + 0.5 at its end."""
    now = load()
    before = list(started_load) if started_load is not None else now
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "cores_used": cores_used,
        "load_start": before, "load_end": now,
        "under_load": bool(before and now and (before[0] > OTHERS or now[0] - cores_used > OTHERS)),
    }


def pin(cores: int) -> list[int]:
    """Pin this process to the first `cores` CPUs it may use; the CPUs used."""
    if not hasattr(os, "sched_setaffinity"):
        return []
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[:cores] if cores else allowed
    os.sched_setaffinity(0, set(chosen))
    return chosen


Series = Mapping[str, Sequence[tuple[float, Mapping[str, Any]]]]


def plot_throughput(series: Series, panels: Sequence[tuple[str, str]], title: str, out: Path,
                    xlabel: str = "batch size (reports per call)") -> Path:
    """One panel per (metric key, y label), one line per series, x on a log2 axis; PNG at `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.0), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels, strict=True):
        for name, points in series.items():
            xs = [x for x, row in points if row.get(key) is not None]
            ys = [row[key] for _, row in points if row.get(key) is not None]
            ax.plot(xs, ys, marker="o", label=name)
        ax.set_xscale("log", base=2)
        xticks = sorted({x for points in series.values() for x, _ in points})
        ax.set_xticks(xticks, [f"{x:g}" for x in xticks])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
