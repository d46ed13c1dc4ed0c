"""One DICOM file: its frames as numbers, ready to normalise, and the header fields of the metadata record.

pydicom reads the file and decodes the pixels; `pixel_array` already keeps only the BitsStored bits
and sign-extends signed data (PixelRepresentation 1). Here the modality LUT (RescaleSlope and
RescaleIntercept) is applied, colour becomes grey, and PixelPaddingValue marks pixels outside the
image. Every pydicom failure becomes a `DicomError` naming the file and the field, in words of our
own: pydicom's messages are not passed on.

Only the fields of `service.records.METADATA_FIELDS` are read from the header; the UIDs are used
for pseudonymous file names (keyed hashes) and never copied out.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.errors import DicomError
from service.records import METADATA_FIELDS

if TYPE_CHECKING:
    import numpy as np

DICOM_SUFFIXES = (".dcm", ".dicom", ".dic")
GREY = ("MONOCHROME1", "MONOCHROME2")
COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT")
_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601


@dataclass
class DicomImage:
    """Frames as float32, shape (frames, rows, columns), after the modality LUT."""

    frames: np.ndarray
    padding: np.ndarray | None  # True where PixelPaddingValue marks no image (same shape as frames)
    photometric: str
    bits_stored: int
    metadata: dict[str, str | float]  # raw header values (PHI): de-identify before writing anywhere
    study_uid: str | None
    instance_uid: str | None
    warnings: list[str] = field(default_factory=list)

    @property
    def monochrome1(self) -> bool:
        """Low values are white: the image must be inverted to show as usual."""
        return self.photometric == "MONOCHROME1"


def has_dicom_preamble(path: Path) -> bool:
    """The "DICM" marker after the 128-byte preamble of a DICOM Part 10 file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:] == b"DICM"


def read_dicom(path: Path, name: str) -> DicomImage:
    """Read and decode one file; `name` (its path relative to the input folder) names it in errors."""
    _quiet_pydicom()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read(path, name)


def _quiet_pydicom() -> None:
    """pydicom's warnings about invalid values quote the value (a date, an ID): keep them out of every
    log. Invalid values are still caught where they are used (`header_fields`)."""
    import pydicom.config

    logging.getLogger("pydicom").setLevel(logging.CRITICAL)
    pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE


def _read(path: Path, name: str) -> DicomImage:
    import pydicom
    from pydicom.errors import InvalidDicomError

    marked = has_dicom_preamble(path)
    try:
        ds = pydicom.dcmread(path, force=not marked)
    except InvalidDicomError:
        raise DicomError(name, "<file>", "not a DICOM file") from None
    except Exception as exc:  # pydicom raises many types (EOFError, struct.error, ...) for a broken file
        problem = f"unreadable DICOM ({type(exc).__name__}); the file may be truncated"
        raise DicomError(name, "<file>", problem) from None
    if not marked and "PixelData" not in ds and "Rows" not in ds:
        raise DicomError(name, "<file>", "not a DICOM file")  # forced reading of other bytes finds nothing
    if "PixelData" not in ds:
        other = next((k for k in ("FloatPixelData", "DoubleFloatPixelData") if k in ds), None)
        if other:
            raise DicomError(name, other, "floating-point pixel data is not supported")
        raise DicomError(name, "PixelData", "missing: no image in this file (or the file is truncated)")
    for keyword in ("Rows", "Columns", "BitsAllocated", "PhotometricInterpretation"):
        if keyword not in ds:
            raise DicomError(name, keyword, "missing")
    photometric = str(ds.PhotometricInterpretation).strip().upper()
    if photometric not in GREY + COLOUR:
        raise DicomError(name, "PhotometricInterpretation", f"{photometric} is not supported (greyscale or RGB only)")
    _check_decodable(ds, name)
    pixels = _decode(ds, name)
    frames_count = int(ds.get("NumberOfFrames") or 1)
    samples = int(ds.get("SamplesPerPixel") or 1)
    image = DicomImage(
        frames=pixels, padding=None, photometric=photometric, bits_stored=int(ds.get("BitsStored") or ds.BitsAllocated),
        metadata={}, study_uid=_text(ds.get("StudyInstanceUID")), instance_uid=_text(ds.get("SOPInstanceUID")),
    )
    _to_frames(image, ds, frames_count, samples, name)
    image.metadata, header_warnings = header_fields(ds)
    image.warnings.extend(header_warnings)
    return image


def _check_decodable(ds: Any, name: str) -> None:
    """Compressed pixel data needs a decoder plugin; native data must be as long as the header says."""
    from pydicom.pixels import get_decoder

    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is None:
        return  # pydicom guesses the encoding of a file without file meta; decoding will tell
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        raise DicomError(name, "TransferSyntaxUID", f"no pixel data decoder exists for {syntax.name}") from None
    if syntax.is_compressed:
        if not decoder.is_available:
            plugins = sorted({d.split(" - ")[0] for d in decoder.missing_dependencies})
            raise DicomError(name, "TransferSyntaxUID", f"compressed pixel data ({syntax.name}) and no decoder "
                             f"installed: pip install one of {', '.join(plugins)}")
        return
    frames = int(ds.get("NumberOfFrames") or 1)
    bits = int(ds.BitsAllocated)
    expected = ds.Rows * ds.Columns * frames * int(ds.get("SamplesPerPixel") or 1) * bits
    expected = (expected + 7) // 8
    if len(ds.PixelData) < expected:
        raise DicomError(name, "PixelData", f"{len(ds.PixelData)} bytes where Rows × Columns × frames × "
                         f"BitsAllocated need {expected}: the file is truncated")


def _decode(ds: Any, name: str) -> np.ndarray:
    try:
        return ds.pixel_array
    except MemoryError:
        raise DicomError(name, "PixelData", "too large to decode in memory") from None
    except Exception as exc:  # decoder plugins raise many types
        raise DicomError(name, "PixelData", f"cannot decode ({type(exc).__name__})") from None


def _to_frames(image: DicomImage, ds: Any, frames: int, samples: int, name: str) -> None:
    """Grey frames (frames, rows, columns) as float32 after the modality LUT, and the padding mask."""
    import numpy as np
    from pydicom.pixels import apply_modality_lut

    raw = image.frames
    if samples == 3:
        if raw.shape[-1] != 3:
            raise DicomError(name, "PlanarConfiguration", "colour samples not where expected")
        grey = raw[..., 0] * _LUMA[0] + raw[..., 1] * _LUMA[1] + raw[..., 2] * _LUMA[2]
        image.frames = grey.astype(np.float32).reshape(frames, ds.Rows, ds.Columns)
        image.warnings.append(f"colour ({image.photometric}) converted to grey")
        return
    if samples != 1:
        raise DicomError(name, "SamplesPerPixel", f"{samples} samples per pixel are not supported (1 or 3)")
    raw = raw.reshape(frames, ds.Rows, ds.Columns)
    padding_value = ds.get("PixelPaddingValue")
    if isinstance(padding_value, int):
        mask = raw == padding_value
        image.padding = mask if mask.any() and not mask.all() else None
    try:
        image.frames = np.asarray(apply_modality_lut(raw, ds), dtype=np.float32)
    except Exception as exc:  # a malformed Modality LUT Sequence
        raise DicomError(name, "ModalityLUTSequence", f"cannot apply ({type(exc).__name__})") from None


def header_fields(ds: Any) -> tuple[dict[str, str | float], list[str]]:
    """The metadata fields present in the header (raw values), and PHI-free warnings."""
    out: dict[str, str | float] = {}
    warnings: list[str] = []
    for keyword in METADATA_FIELDS:
        try:
            value = _text(ds.get(keyword))
            if value is not None:
                out[keyword] = float(value) if keyword == "PatientWeight" else value
        except (ValueError, TypeError):  # e.g. a decimal string that is not a number
            warnings.append(f"metadata.{keyword}: not a valid value for its type; removed")
    return out, warnings


def _text(value: object) -> str | None:
    """A header value as text: multiple values joined by backslash as in DICOM, blanks as None."""
    if value is None or isinstance(value, bytes):
        return None
    if isinstance(value, (str, int, float)):
        text = str(value)
    elif isinstance(value, Iterable):  # pydicom's MultiValue
        text = "\\".join(str(v) for v in value)
    else:
        text = str(value)
    text = text.strip().strip("\x00").strip()
    return text or None
