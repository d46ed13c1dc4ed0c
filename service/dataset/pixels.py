"""Pixels to PNG as the ReXGradient-160K paper describes: min-max normalise to the full 16-bit range
(after inverting MONOCHROME1), downscale with bicubic interpolation and anti-aliasing, write a 16-bit
greyscale PNG that carries nothing but the pixels (no text chunks, no timestamps)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FULL_RANGE = 65535
DEFAULT_SCALE = 0.25


def normalise(frame: np.ndarray, padding: np.ndarray | None, invert: bool) -> np.ndarray | None:
    """float64 in [0, 65535]: the frame's minimum → 0 and maximum → 65535 (padding excluded and set
    to black), inverted for MONOCHROME1 so that high values are white. None for a constant frame."""
    import numpy as np

    valid = frame[~padding] if padding is not None else frame
    low, high = float(valid.min()), float(valid.max())
    if not high > low:
        return None
    out = (frame.astype(np.float64) - low) * (FULL_RANGE / (high - low))  # float64: the ends land exactly
    np.clip(out, 0, FULL_RANGE, out=out)
    if invert:
        np.subtract(FULL_RANGE, out, out=out)
    if padding is not None:
        out[padding] = 0
    return out


def output_shape(shape: tuple[int, ...], scale: float) -> tuple[int, int]:
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def downscale(image: np.ndarray, scale: float) -> np.ndarray:
    """uint16 image at `scale` of the size: bicubic (order 3) with Gaussian anti-aliasing."""
    import numpy as np
    from skimage.transform import resize

    if scale == 1:
        resized = image
    else:
        resized = resize(image, output_shape(image.shape, scale), order=3, mode="reflect",
                         anti_aliasing=scale < 1, preserve_range=True)
    return np.clip(np.rint(resized), 0, FULL_RANGE).astype(np.uint16)


def png16(image: np.ndarray) -> bytes:
    """A 16-bit greyscale PNG (Pillow mode I;16) of a uint16 image, with no metadata chunks."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary name, then rename: an interrupted run never leaves half a PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
