"""Burned-in text: find words in the pixels with the `tesseract` binary, and black them out.

Modalities burn annotations (names, dates, IDs, "PORTABLE") into the pixels at the brightest value,
so tesseract reads a black-on-white image of the brightest pixels (at or above 95% of the range of
the normalised image) rather than the radiograph itself, whose texture it takes for letters. Sparse
text mode (`--psm 11`) finds scattered labels. A word counts when tesseract is confident in it and it
has two letters or digits; single laterality markers ("L", "R") are not PHI and are left alone. Dark
text on a bright background is not looked for. Words found are never logged or stored: only their
number.

Debian and Ubuntu: `apt-get install tesseract-ocr`.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.errors import DependencyError, OcrError

if TYPE_CHECKING:
    import numpy as np

BRIGHT = 0.95  # share of the full range above which a pixel may be burned-in text
MAX_OCR_SIDE = 2048  # larger images are read at this size: text stays legible, tesseract stays quick
DEFAULT_MIN_CONFIDENCE = 60.0
TIMEOUT_S = 120


@dataclass(frozen=True, slots=True)
class Box:
    """A word's box in the coordinates of the image that was searched."""

    left: int
    top: int
    width: int
    height: int


def require_tesseract() -> str:
    """The path of the tesseract binary, or DependencyError with the install hint."""
    found = shutil.which("tesseract")
    if found is None:
        raise DependencyError("--detect-text needs the tesseract binary: apt-get install tesseract-ocr")
    return found


def find_text(image: np.ndarray, full_range: float, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> list[Box]:
    """Boxes of the words burned into `image` (values 0..full_range, high = white)."""
    import numpy as np
    from PIL import Image

    text_pixels = image >= BRIGHT * full_range
    if not text_pixels.any():
        return []
    page = Image.fromarray(np.where(text_pixels, 0, 255).astype(np.uint8))
    factor = min(1.0, MAX_OCR_SIDE / max(page.size))
    if factor < 1.0:
        size = (max(1, round(page.width * factor)), max(1, round(page.height * factor)))
        page = page.resize(size, Image.Resampling.BOX)
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    boxes = _words(_run_tesseract(buffer.getvalue()), min_confidence)
    return [Box(round(b.left / factor), round(b.top / factor), round(b.width / factor), round(b.height / factor))
            for b in boxes]


def _run_tesseract(png: bytes) -> str:
    command = [require_tesseract(), "stdin", "stdout", "--psm", "11", "tsv"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one thread per image; parallelism comes from --workers
    try:
        done = subprocess.run(command, input=png, capture_output=True, timeout=TIMEOUT_S, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise OcrError(f"tesseract took over {TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise OcrError(f"tesseract exited with status {done.returncode}")
    return done.stdout.decode("utf-8", errors="replace")


def _words(tsv: str, min_confidence: float) -> list[Box]:
    """Word rows (level 5) of tesseract's TSV that are confident and have two letters or digits."""
    boxes = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5":
            continue
        text = row.get("text") or ""
        try:
            confidence = float(row.get("conf") or -1)
            box = Box(int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"]))
        except (KeyError, ValueError):
            continue
        if confidence >= min_confidence and sum(ch.isalnum() for ch in text) >= 2:
            boxes.append(box)
    return boxes


def black_out(image: np.ndarray, boxes: list[Box]) -> None:
    """Set each box, with a margin of a fifth of its height (at least 2 pixels), to 0 (black), in place."""
    rows, columns = image.shape[:2]
    for box in boxes:
        margin = max(2, box.height // 5)
        top, left = max(0, box.top - margin), max(0, box.left - margin)
        bottom, right = min(rows, box.top + box.height + margin), min(columns, box.left + box.width + margin)
        image[top:bottom, left:right] = 0
