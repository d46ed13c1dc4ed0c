"""The figures of `radprep stats`: age and sex per split, and section-length histograms.

matplotlib with its file-only backend (Agg): no display needed.
"""

from __future__ import annotations

from pathlib import Path

from service.dataset.stats import AGE_BINS, SEXES, TOKEN, UNKNOWN, SplitStats
from service.sections import SECTION_NAMES

_SEX_NAMES = {"M": "male", "F": "female", "U": "unknown"}


def write_plots(per_split: dict[str, SplitStats], out_dir: Path) -> list[Path]:
    """Write age.png, sex.png and section_lengths.png into `out_dir`; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        _grouped_bars(per_split, (*AGE_BINS, UNKNOWN), "ages", "Age at study (years)", out_dir / "age.png"),
        _grouped_bars(per_split, SEXES, "sexes", "Sex", out_dir / "sex.png",
                      labels=[f"{s} ({_SEX_NAMES[s]})" for s in SEXES]),
        _section_histograms(per_split, out_dir / "section_lengths.png"),
    ]


def _grouped_bars(per_split: dict[str, SplitStats], categories: tuple[str, ...], attribute: str, title: str,
                  path: Path, labels: list[str] | None = None) -> Path:
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    width = 0.8 / max(len(per_split), 1)
    x = np.arange(len(categories))
    for i, (name, stats) in enumerate(per_split.items()):
        counts = getattr(stats, attribute)
        shares = [100 * counts[c] / stats.studies if stats.studies else 0 for c in categories]
        bars = ax.bar(x + (i - (len(per_split) - 1) / 2) * width, shares, width, label=f"{name} (n={stats.studies:,})")
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    ax.set_xticks(x, labels or list(categories))
    ax.set_ylabel("% of studies")
    ax.set_title(f"{title}, per split")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _section_histograms(per_split: dict[str, SplitStats], path: Path) -> Path:
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), dpi=120)
    for ax, section in zip(axes.flat, SECTION_NAMES, strict=True):
        everything = [n for stats in per_split.values() for n in stats.tokens[section]]
        top = max(float(np.percentile(everything, 99)), 1.0) if everything else 1.0
        bins = np.linspace(0, top, 41)
        for name, stats in per_split.items():
            counts = np.clip(np.asarray(stats.tokens[section], dtype=float), 0, top)
            if counts.size:
                ax.hist(counts, bins=bins, density=True, histtype="step", linewidth=1.4,
                        label=f"{name} (mean {stats.mean_tokens(section) or 0:.1f})")
        ax.set_title(f"{section} (studies with the section)")
        ax.set_xlabel("tokens (last bin: 99th percentile and above)")
        ax.set_ylabel("density")
        ax.spines[["top", "right"]].set_visible(False)
        if ax.has_data():
            ax.legend(frameon=False, fontsize=8)
    fig.suptitle(f"Section lengths; tokens: {TOKEN.pattern}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
