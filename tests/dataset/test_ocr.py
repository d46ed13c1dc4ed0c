"""Burned-in text: real text rendered into a synthetic radiograph is found by tesseract and blacked out."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from service.dataset.ocr import Box, _words, black_out, find_text
from service.dataset.pixels import FULL_RANGE

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract is not installed (apt-get install tesseract-ocr)")


def radiograph(rows: int = 900, columns: int = 800, seed: int = 0) -> np.ndarray:
    """Smooth anatomy-like shading with noise, in 0..0.9 of the 16-bit range (burned-in text is brighter)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:rows, 0:columns]
    shade = 0.45 + 0.3 * np.sin(xx / 90.0) * np.cos(yy / 120.0) + rng.normal(0, 0.05, (rows, columns))
    return np.clip(shade, 0, 0.9) * FULL_RANGE


def burn_in(image: np.ndarray, text: str, xy: tuple[int, int], size: int = 48) -> tuple[int, int, int, int]:
    """Draw `text` at full brightness with Pillow's default font; return its (left, top, right, bottom)."""
    layer = Image.new("L", (image.shape[1], image.shape[0]), 0)
    draw = ImageDraw.Draw(layer)
    font = ImageFont.load_default(size=size)
    draw.text(xy, text, fill=255, font=font)
    mask = np.asarray(layer) > 127
    image[mask] = FULL_RANGE
    box = draw.textbbox(xy, text, font=font)
    return int(box[0]), int(box[1]), int(box[2]), int(box[3])


@needs_tesseract
def test_burned_in_text_is_found_and_blacked_out() -> None:
    image = radiograph()
    left, top, right, bottom = burn_in(image, "SMITH JOHN 03/14/2019", (40, 40))
    boxes = find_text(image, FULL_RANGE)
    assert len(boxes) >= 2  # the name and the date at least
    for box in boxes:  # every box lies on the text
        assert left - 5 <= box.left and box.left + box.width <= right + 5
        assert top - 5 <= box.top and box.top + box.height <= bottom + 5
    black_out(image, boxes)
    assert image[top:bottom, left:right].max() < 0.95 * FULL_RANGE  # no burned-in pixel is left
    assert find_text(image, FULL_RANGE) == []


@needs_tesseract
def test_small_text_in_a_large_image_is_found_at_reduced_size() -> None:
    image = radiograph(2600, 2200, seed=1)  # read by tesseract at 2048 pixels on the long side
    burn_in(image, "PORTABLE 12:45", (1500, 2400), size=72)
    boxes = find_text(image, FULL_RANGE)
    assert boxes and all(b.left > 1400 and b.top > 2300 for b in boxes)


@needs_tesseract
def test_an_image_without_text_has_none() -> None:
    assert find_text(radiograph(seed=2), FULL_RANGE) == []


@needs_tesseract
def test_a_single_laterality_marker_is_not_text_to_remove() -> None:
    image = radiograph(seed=3)
    burn_in(image, "L", (700, 60), size=64)
    assert find_text(image, FULL_RANGE) == []


def test_words_keep_confident_words_of_two_letters_or_digits() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t800\t900\t-1\t",
        "5\t1\t1\t1\t1\t1\t40\t50\t120\t30\t96.1\tSMITH",
        "5\t1\t1\t1\t1\t2\t200\t50\t90\t30\t31.0\tae",  # texture read as letters, not confident
        "5\t1\t1\t1\t1\t3\t300\t50\t20\t30\t95.0\tL",  # a lone marker
        "5\t1\t1\t1\t1\t4\t340\t50\t20\t30\t95.0\t\"",  # a quote: csv must not swallow the next rows
        "5\t1\t1\t1\t1\t5\t400\t50\t160\t30\t90.5\t03/14/2019",
    ]
    assert _words("\n".join([header, *rows]) + "\n", 60) == [Box(40, 50, 120, 30), Box(400, 50, 160, 30)]


def test_black_out_clips_at_the_edges() -> None:
    image = np.full((20, 20), 9.0)
    black_out(image, [Box(15, 15, 10, 10)])
    assert (image[13:, 13:] == 0).all() and (image[:13, :] == 9).all()
