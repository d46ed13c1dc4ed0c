"""Normalising, downscaling and writing 16-bit PNGs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from dicom_factory import gradient
from PIL import Image

from service.dataset.pixels import FULL_RANGE, downscale, normalise, output_shape, png16, write_atomically


def test_normalise_spans_the_full_16_bit_range() -> None:
    frame = gradient(30, 20, 312, 3471).astype(np.float32)
    out = normalise(frame, None, invert=False)
    assert out is not None and out.min() == 0 and out.max() == FULL_RANGE
    assert out[0, 0] == 0 and out[-1, -1] == FULL_RANGE


def test_monochrome1_is_inverted_so_high_values_are_white() -> None:
    frame = gradient(30, 20, 0, 4095).astype(np.float32)
    out = normalise(frame, None, invert=True)
    assert out is not None and out[0, 0] == FULL_RANGE and out[-1, -1] == 0


def test_padding_is_left_out_of_the_range_and_set_to_black() -> None:
    frame = gradient(10, 10, 1000, 2000).astype(np.float32)
    frame[:, 0] = -3000  # padding far outside the image's values
    padding = np.zeros(frame.shape, dtype=bool)
    padding[:, 0] = True
    out = normalise(frame, padding, invert=True)
    assert out is not None and (out[:, 0] == 0).all()
    assert out[:, 1:].min() == 0 and out[:, 1:].max() == FULL_RANGE


def test_a_constant_frame_cannot_be_normalised() -> None:
    assert normalise(np.full((5, 5), 7, dtype=np.float32), None, invert=False) is None


def test_downscale_to_a_quarter_keeps_the_picture() -> None:
    image = normalise(gradient(400, 300, 0, 4095).astype(np.float32), None, invert=False)
    assert image is not None
    small = downscale(image, 0.25)
    assert small.shape == output_shape(image.shape, 0.25) == (100, 75) and small.dtype == np.uint16
    assert small[0, 0] < 2000 and small[-1, -1] > 63000  # dark corner stays dark, bright stays bright
    assert np.all(np.diff(small[50].astype(int)) >= 0)  # the ramp stays a ramp: no ringing


def test_anti_aliasing_removes_detail_finer_than_the_output_pixels() -> None:
    stripes = np.zeros((200, 200), dtype=np.float32)
    stripes[:, ::2] = FULL_RANGE  # one-pixel stripes alias badly without a low-pass filter
    small = downscale(stripes, 0.25).astype(float)
    assert small.std() < 0.05 * FULL_RANGE and abs(small.mean() - FULL_RANGE / 2) < 0.05 * FULL_RANGE


def test_png_is_16_bit_greyscale_without_text_chunks(tmp_path: Path) -> None:
    image = np.array([[0, 1, 65535], [300, 40000, 12345]], dtype=np.uint16)
    data = png16(image)
    assert b"tEXt" not in data and b"iTXt" not in data and b"zTXt" not in data and b"tIME" not in data
    write_atomically(tmp_path / "a" / "b.png", data)
    with Image.open(tmp_path / "a" / "b.png") as png:
        assert png.mode == "I;16" and png.info == {} and np.array_equal(np.asarray(png), image)
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.png"]  # no temporary file left behind
    assert Image.open(io.BytesIO(data)).format == "PNG"
