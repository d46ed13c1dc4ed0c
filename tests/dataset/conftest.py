"""Fixtures of the dataset tests: DICOM files written into the test's temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dicom_factory import DicomWriter, build_dataset


@pytest.fixture
def write_dicom(tmp_path: Path) -> DicomWriter:
    """write_dicom(relative_name, pixels, **build_dataset options) -> the file's path."""

    def write(name: str, pixels: np.ndarray, **options: Any) -> Path:
        path = tmp_path / "dicom" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        build_dataset(pixels, **options).save_as(path, enforce_file_format=True)
        return path

    return write
