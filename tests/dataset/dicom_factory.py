"""DICOM files for the dataset tests, built with pydicom from synthetic pixels and made-up headers.

A module of its own (not conftest.py) so that tests can import it by a name no other folder uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

# A made-up patient; every value here is PHI as far as the tests are concerned.
HEADER = {
    "PatientID": "PT-7781", "AccessionNumber": "ACC55501", "PatientSex": "F", "EthnicGroup": "Hispanic",
    "PatientAge": "094Y", "PatientWeight": "61.5", "StudyDate": "20210305",
    "InstitutionName": "Lakeshore General Hospital", "Manufacturer": "Acme Imaging",
}
# Tags that must never reach an output.
EXTRA = {"PatientName": "Thornquist^Evelyn", "PatientBirthDate": "19270101", "ReferringPhysicianName": "Delacroix^Paul"}


def gradient(rows: int = 64, columns: int = 48, low: int = 0, high: int = 4095) -> np.ndarray:
    """A smooth ramp from `low` (top left) to `high` (bottom right), as int64."""
    ramp = np.add.outer(np.arange(rows), np.arange(columns)).astype(np.float64)
    return np.rint(low + (high - low) * ramp / ramp.max()).astype(np.int64)


def build_dataset(pixels: np.ndarray, *, photometric: str = "MONOCHROME2", bits_allocated: int = 16,
                  bits_stored: int | None = None, signed: bool = False, header: dict[str, Any] | None = None,
                  **extra: Any) -> Dataset:
    """A Secondary Capture dataset holding `pixels` uncompressed: (rows, columns), (frames, rows,
    columns), or (rows, columns, 3) for RGB."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.Modality = "DX"
    for key, value in {**HEADER, **EXTRA, **(header if header is not None else {})}.items():
        if value is not None:
            setattr(ds, key, value)
    colour = photometric in ("RGB", "YBR_FULL")
    if pixels.ndim == 3 and not colour:  # (frames, rows, columns)
        ds.NumberOfFrames = pixels.shape[0]
        ds.Rows, ds.Columns = pixels.shape[1:]
    else:
        ds.Rows, ds.Columns = pixels.shape[:2]
    ds.SamplesPerPixel = 3 if colour else 1
    if colour:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored or bits_allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    dtype = {8: np.uint8, 16: np.uint16}[bits_allocated]
    stored = pixels.astype(np.int64) & ((1 << ds.BitsStored) - 1)  # two's complement within BitsStored
    ds.PixelData = stored.astype(dtype).tobytes()
    for key, value in extra.items():
        setattr(ds, key, value)
    return ds


DicomWriter = Callable[..., Path]
