"""A folder of DICOM files → pseudonymous 16-bit PNGs and one index, linked to the reports.

Every name and metadata value comes from the same secret as `radprep process`: the patient folder
is the pseudonym the report pipeline writes as `patient_id` for the same PatientID, the study folder
is the de-identified AccessionNumber (as in the report's `metadata`; without one, a keyed hash of the
StudyInstanceUID), StudyDate shifts by the patient's date offset (keyed by `service.deid.keys.patient_key`, as the
report pipeline keys it), and file names are keyed hashes of the SOPInstanceUID.

    OUTPUT_DIR/<patient pseudonym>/<study pseudonym>/<image>.png
    OUTPUT_DIR/images.jsonl     one line per PNG: paths, de-identified metadata, text found

A file that cannot be converted is one line in the errors file (its path relative to the input
folder, the field, the problem); the others go on. Files without the DICOM marker and without a
DICOM extension (.dcm, .dicom, .dic) are skipped and counted.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from service.dataset.dicom import DICOM_SUFFIXES, DicomImage, has_dicom_preamble, read_dicom
from service.dataset.ocr import DEFAULT_MIN_CONFIDENCE, black_out, find_text
from service.dataset.pixels import DEFAULT_SCALE, FULL_RANGE, downscale, normalise, png16, write_atomically
from service.deid.keys import KeyedHasher, PatientContext, patient_key
from service.deid.metadata import deidentify_metadata
from service.deid.surrogates import Surrogates
from service.errors import DicomError, OcrError

log = logging.getLogger("radprep")

INDEX_NAME = "images.jsonl"
_HASH_CHARS = 20


@dataclass(frozen=True, slots=True)
class ConvertOptions:
    scale: float = DEFAULT_SCALE
    detect_text: bool = False
    min_confidence: float = DEFAULT_MIN_CONFIDENCE


@dataclass
class ConvertSummary:
    files: int = 0
    images: int = 0
    with_text: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0


def safe_name(pseudonym: str) -> str:
    """A pseudonym as one path component: letters, digits, '-', '_' and inner '.' stay (so "UM-419790"
    is its own folder name); anything else is percent-encoded, so no value can climb out of the folder."""
    encoded = quote(pseudonym, safe="-_.")
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


class Converter:
    """Converts one file at a time; holds only the secret's hasher and the options."""

    def __init__(self, secret: bytes, out_dir: Path, options: ConvertOptions) -> None:
        self.hasher = KeyedHasher(secret)
        self.surrogates = Surrogates(self.hasher)
        self.out_dir = out_dir
        self.options = options

    def convert(self, path: Path, name: str) -> list[dict[str, Any]]:
        """Write the PNG(s) of one file and return their index lines; DicomError if it cannot be done."""
        image = read_dicom(path, name)
        key = patient_key(None, image.metadata.get("PatientID"), None)
        if key is None:
            raise DicomError(name, "PatientID", "missing: the images cannot be linked to a patient")
        patient = PatientContext.for_patient(self.hasher, key)
        metadata, warnings = deidentify_metadata(dict(image.metadata), self.surrogates, patient)
        study = self._study(metadata, image, name)
        folder = self.out_dir / safe_name(str(metadata["PatientID"])) / safe_name(study)
        stem = self._keyed("instance-uid", image.instance_uid or f"file:{name}")
        multi = len(image.frames) > 1
        lines = []
        for i, frame in enumerate(image.frames):
            padding = image.padding[i] if image.padding is not None else None
            pixels = normalise(frame, padding, invert=image.monochrome1)
            if pixels is None:
                raise DicomError(name, "PixelData", "constant image: every pixel has the same value")
            boxes = self._black_out_text(pixels, name) if self.options.detect_text else None
            small = downscale(pixels, self.options.scale)
            target = folder / (f"{stem}-f{i + 1:03d}.png" if multi else f"{stem}.png")
            write_atomically(target, png16(small))
            lines.append({
                "image": target.relative_to(self.out_dir).as_posix(),
                "patient_id": metadata["PatientID"], "study_id": study,
                "frame": i + 1 if multi else None,
                "rows": int(small.shape[0]), "columns": int(small.shape[1]),
                "source": {"rows": int(frame.shape[0]), "columns": int(frame.shape[1]),
                           "bits_stored": image.bits_stored, "photometric": image.photometric},
                "metadata": metadata,
                "text_found": bool(boxes) if boxes is not None else None,
                "text_boxes": len(boxes) if boxes is not None else None,
                "warnings": image.warnings + warnings,
            })
        return lines

    def _study(self, metadata: dict[str, Any], image: DicomImage, name: str) -> str:
        accession = metadata.get("AccessionNumber")
        if accession not in (None, ""):
            return str(accession)
        if image.study_uid:
            return "S" + self._keyed("study-uid", image.study_uid)
        raise DicomError(name, "AccessionNumber", "missing, and no StudyInstanceUID: the study cannot be named")

    def _keyed(self, domain: str, value: str) -> str:
        return self.hasher.digest(domain, value).hex()[:_HASH_CHARS]

    def _black_out_text(self, pixels: Any, name: str) -> list[Any]:
        try:
            boxes = find_text(pixels, FULL_RANGE, self.options.min_confidence)
        except OcrError as exc:
            raise DicomError(name, "PixelData", f"text detection failed: {exc}") from None
        black_out(pixels, boxes)
        return boxes


def find_files(input_dir: Path, out_dir: Path) -> tuple[list[tuple[Path, str]], int]:
    """(path, name relative to input_dir) of each DICOM file, sorted, and how many others were skipped."""
    found: list[tuple[Path, str]] = []
    skipped = 0
    out_resolved = out_dir.resolve()
    for path in sorted(input_dir.rglob("*")):
        if not path.is_file() or path.resolve().is_relative_to(out_resolved):
            continue
        if path.name.upper() == "DICOMDIR":
            skipped += 1
            continue
        if has_dicom_preamble(path) or path.suffix.lower() in DICOM_SUFFIXES:
            found.append((path, path.relative_to(input_dir).as_posix()))
        else:
            skipped += 1
    return found, skipped


# -- running over a folder, in parallel or not ------------------------------------------------------
Outcome = tuple[str, list[dict[str, Any]], tuple[str, str] | None]  # name, index lines, (field, problem)

# One Converter per worker process, built once by the pool's initializer: the name lists behind the
# surrogates are too large to send with every task.
_worker: Converter | None = None


def _start_worker(secret: bytes, out_dir: Path, options: ConvertOptions) -> None:
    global _worker
    _worker = Converter(secret, out_dir, options)


def _convert_in_worker(task: tuple[Path, str]) -> Outcome:
    assert _worker is not None, "the pool initializer did not run"
    return convert_one(_worker, *task)


def convert_one(converter: Converter, path: Path, name: str) -> Outcome:
    try:
        return name, converter.convert(path, name), None
    except DicomError as exc:
        return name, [], (exc.field, exc.problem)
    except MemoryError:
        return name, [], ("PixelData", "out of memory while converting")
    except Exception as exc:  # a bug or a library failure on one file must not stop the other files
        return name, [], ("<file>", f"unexpected error ({type(exc).__name__})")


def _outcomes(tasks: list[tuple[Path, str]], secret: bytes, out_dir: Path, options: ConvertOptions,
              workers: int) -> Iterator[Outcome]:
    if workers <= 1:
        converter = Converter(secret, out_dir, options)
        for path, name in tasks:
            yield convert_one(converter, path, name)
        return
    with multiprocessing.Pool(workers, initializer=_start_worker, initargs=(secret, out_dir, options)) as pool:
        yield from pool.imap(_convert_in_worker, tasks, chunksize=2)


def convert_folder(input_dir: Path, out_dir: Path, secret: bytes, options: ConvertOptions, errors: TextIO,
                   workers: int = 1) -> ConvertSummary:
    """Convert every DICOM file under input_dir; write OUTPUT_DIR/images.jsonl in file order."""
    started = time.perf_counter()
    tasks, skipped = find_files(input_dir, out_dir)
    summary = ConvertSummary(files=len(tasks), skipped=skipped)
    out_dir.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    index_path = out_dir / INDEX_NAME
    with index_path.open("w", encoding="utf-8") as index:
        for name, lines, failure in _outcomes(tasks, secret, out_dir, options, workers):
            if lines and lines[0]["image"] in seen:
                failure = ("SOPInstanceUID", "the same as another file's: its image is indexed once")
                lines = []
            if failure is not None:
                field, problem = failure
                log.warning("%s", DicomError(name, field, problem))
                errors.write(json.dumps({"file": name, "field": field, "error": problem}) + "\n")
                summary.errors += 1
                continue
            for line in lines:
                seen.add(line["image"])
                index.write(json.dumps(line, ensure_ascii=False) + "\n")
                summary.images += 1
                summary.with_text += bool(line["text_found"])
    summary.seconds = time.perf_counter() - started
    return summary
