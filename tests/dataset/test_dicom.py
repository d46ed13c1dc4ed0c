"""Reading DICOM files written with pydicom: bit depths, signs, rescale, colour, frames, and broken files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import EXTRA, HEADER, DicomWriter, build_dataset, gradient
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.uid import JPEGLSLossless

from service.dataset.dicom import has_dicom_preamble, read_dicom
from service.errors import DicomError


@pytest.mark.parametrize(("bits_allocated", "bits_stored", "high"), [(8, 8, 255), (16, 12, 4095), (16, 16, 65535)])
def test_unsigned_pixels_of_each_depth_are_read_exactly(write_dicom: DicomWriter, bits_allocated: int,
                                                        bits_stored: int, high: int) -> None:
    pixels = gradient(40, 30, 0, high)
    path = write_dicom("a.dcm", pixels, bits_allocated=bits_allocated, bits_stored=bits_stored)
    image = read_dicom(path, "a.dcm")
    assert image.frames.shape == (1, 40, 30) and image.frames.dtype == np.float32
    assert np.array_equal(image.frames[0], pixels) and image.bits_stored == bits_stored


def test_signed_12_bit_pixels_are_sign_extended(write_dicom: DicomWriter) -> None:
    pixels = gradient(20, 20, -2048, 2047)
    image = read_dicom(write_dicom("s.dcm", pixels, bits_stored=12, signed=True), "s.dcm")
    assert image.frames.min() == -2048 and image.frames.max() == 2047
    assert np.array_equal(image.frames[0], pixels)


def test_rescale_slope_and_intercept_are_applied(write_dicom: DicomWriter) -> None:
    pixels = gradient(10, 10, 0, 1000)
    path = write_dicom("r.dcm", pixels, bits_stored=12, RescaleSlope="2", RescaleIntercept="-1024")
    image = read_dicom(path, "r.dcm")
    assert np.allclose(image.frames[0], pixels * 2 - 1024)


def test_compressed_pixels_with_a_decoder_are_read(tmp_path: Path) -> None:
    from pydicom.uid import RLELossless

    pixels = gradient(32, 24, 0, 4095)
    ds = build_dataset(pixels, bits_stored=12)
    ds.compress(RLELossless, pixels.astype(np.uint16))  # pydicom's own RLE encoder
    ds.save_as(tmp_path / "rle.dcm", enforce_file_format=True)
    assert np.array_equal(read_dicom(tmp_path / "rle.dcm", "rle.dcm").frames[0], pixels)


def test_monochrome1_is_flagged_for_inversion(write_dicom: DicomWriter) -> None:
    image = read_dicom(write_dicom("m1.dcm", gradient(), photometric="MONOCHROME1", bits_stored=12), "m1.dcm")
    assert image.monochrome1 and image.photometric == "MONOCHROME1"
    assert not read_dicom(write_dicom("m2.dcm", gradient()), "m2.dcm").monochrome1


def test_pixel_padding_is_masked(write_dicom: DicomWriter) -> None:
    pixels = gradient(20, 20, 100, 4000)
    pixels[:, :3] = 0
    image = read_dicom(write_dicom("p.dcm", pixels, bits_stored=12, PixelPaddingValue=0), "p.dcm")
    assert image.padding is not None and image.padding[0][:, :3].all() and not image.padding[0][:, 3:].any()


@pytest.mark.parametrize("photometric", ["RGB", "YBR_FULL"])
def test_colour_becomes_grey_with_a_warning(write_dicom: DicomWriter, photometric: str) -> None:
    grey = gradient(16, 16, 0, 255)
    chroma = grey if photometric == "RGB" else np.full_like(grey, 128)  # YBR: luma, then neutral colour
    pixels = np.stack([grey, chroma, chroma], axis=-1)
    image = read_dicom(write_dicom("c.dcm", pixels, photometric=photometric, bits_allocated=8), "c.dcm")
    assert image.frames.shape == (1, 16, 16) and np.allclose(image.frames[0], grey, atol=0.01)
    assert image.warnings == [f"colour ({photometric}) converted to grey"]


def test_every_frame_of_a_multi_frame_file_is_read(write_dicom: DicomWriter) -> None:
    frames = np.stack([gradient(12, 10, 0, 100 * (i + 1)) for i in range(3)])
    image = read_dicom(write_dicom("mf.dcm", frames, bits_stored=12), "mf.dcm")
    assert image.frames.shape == (3, 12, 10) and [f.max() for f in image.frames] == [100, 200, 300]


def test_only_the_metadata_fields_are_read_from_the_header(write_dicom: DicomWriter) -> None:
    image = read_dicom(write_dicom("h.dcm", gradient()), "h.dcm")
    assert image.metadata == {**HEADER, "PatientWeight": 61.5}
    assert not set(EXTRA) & set(image.metadata)
    assert image.study_uid and image.instance_uid


def test_absent_and_invalid_header_fields_are_left_out_without_logging_them(
    write_dicom: DicomWriter, caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    path = write_dicom("b.dcm", gradient(), header={"EthnicGroup": "", "PatientWeight": "61.5"})
    path.write_bytes(path.read_bytes().replace(b"61.5", b"9X.Q"))  # pydicom will not write a bad DS itself
    with caplog.at_level(logging.DEBUG):
        image = read_dicom(path, "b.dcm")
    assert "9X.Q" not in caplog.text and not any("9X.Q" in str(w.message) for w in recwarn)
    assert "EthnicGroup" not in image.metadata and "PatientWeight" not in image.metadata
    assert "metadata.PatientWeight: not a valid value for its type; removed" in image.warnings


# -- broken files: one clear error each, naming the file and the field, no values --------------------
def _error(path: Path, name: str) -> DicomError:
    with pytest.raises(DicomError) as caught:
        read_dicom(path, name)
    for value in (*HEADER.values(), *EXTRA.values()):
        assert str(value) not in str(caught.value)
    assert str(caught.value).startswith(f"{name}: ")
    return caught.value


def test_a_truncated_file_is_reported(write_dicom: DicomWriter) -> None:
    path = write_dicom("t.dcm", gradient(64, 64))
    path.write_bytes(path.read_bytes()[:-1000])
    error = _error(path, "t.dcm")
    assert error.field == "PixelData" and "truncated" in error.problem


def test_a_file_cut_before_its_pixels_is_reported(write_dicom: DicomWriter) -> None:
    path = write_dicom("t2.dcm", gradient(64, 64))
    path.write_bytes(path.read_bytes()[:300])
    error = _error(path, "t2.dcm")
    assert error.field in ("PixelData", "<file>") and "truncated" in error.problem


def test_a_file_without_pixel_data_is_reported(tmp_path: Path) -> None:
    ds = build_dataset(gradient())
    del ds.PixelData
    ds.save_as(tmp_path / "n.dcm", enforce_file_format=True)
    error = _error(tmp_path / "n.dcm", "n.dcm")
    assert (error.field, error.problem.split(":")[0]) == ("PixelData", "missing")


def test_compressed_pixels_without_a_decoder_name_what_to_install(tmp_path: Path) -> None:
    if get_decoder(JPEGLSLossless).is_available:
        pytest.skip("a JPEG-LS decoder is installed here")
    ds = build_dataset(gradient(8, 8, 0, 255), bits_allocated=8)
    ds.file_meta.TransferSyntaxUID = JPEGLSLossless
    ds.PixelData = encapsulate([b"\xff\xd8 not really jpeg-ls \xff\xd9"])
    ds["PixelData"].VR = "OB"
    ds.save_as(tmp_path / "j.dcm", enforce_file_format=True)
    error = _error(tmp_path / "j.dcm", "j.dcm")
    assert error.field == "TransferSyntaxUID"
    assert "JPEG-LS" in error.problem and "no decoder" in error.problem and "pip install" in error.problem


def test_undecodable_compressed_pixels_are_reported(tmp_path: Path) -> None:
    from pydicom.uid import RLELossless

    ds = build_dataset(gradient(8, 8, 0, 255), bits_allocated=8)
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.PixelData = encapsulate([b"\x00\x00\x00\x00garbage"])
    ds["PixelData"].VR = "OB"
    ds.save_as(tmp_path / "rle.dcm", enforce_file_format=True)
    error = _error(tmp_path / "rle.dcm", "rle.dcm")
    assert error.field == "PixelData" and error.problem.startswith("cannot decode")


def test_a_file_that_is_not_dicom_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "x.dcm"
    path.write_bytes(b"just some text, not an image\n" * 10)
    assert not has_dicom_preamble(path)
    assert _error(path, "x.dcm").field in ("<file>", "PixelData")


def test_palette_colour_is_refused(write_dicom: DicomWriter) -> None:
    path = write_dicom("pal.dcm", gradient(8, 8, 0, 255), bits_allocated=8, photometric="PALETTE COLOR")
    error = _error(path, "pal.dcm")
    assert error.field == "PhotometricInterpretation" and "not supported" in error.problem
