"""A folder of DICOM files → pseudonymous PNGs and an index that links to the processed reports."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import EXTRA, HEADER, DicomWriter, gradient
from PIL import Image

from service.dataset.convert import Converter, ConvertOptions, convert_folder, safe_name
from service.deid import Detector
from service.errors import DicomError
from service.pipeline import Pipeline
from service.records import InputRecord
from service.settings import Settings

SECRET = b"dataset-test-secret"
# Input folder names often carry PHI; they must not reach the output either.
# PatientSex, EthnicGroup, PatientWeight and Manufacturer pass through, as in report metadata.
PHI = [*(str(v) for k, v in HEADER.items() if k not in ("PatientSex", "EthnicGroup", "PatientWeight", "Manufacturer")),
       *EXTRA.values(),
       "Lakeshore", "Thornquist", "Evelyn", "19270101", "PT-9000", "ACC90001"]


def _corpus(write_dicom: DicomWriter) -> Path:
    """Two patients: one study of two images (MONOCHROME1 12-bit, MONOCHROME2 16-bit), one of an 8-bit
    image; plus a truncated file, a file without pixels, a non-DICOM .dcm and a text file."""
    write_dicom("Thornquist_Evelyn/study1/a.dcm", gradient(400, 320, 0, 4095), photometric="MONOCHROME1",
                bits_stored=12)
    write_dicom("Thornquist_Evelyn/study1/b.dcm", gradient(400, 320, 100, 60000), bits_stored=16)
    write_dicom("other/c.dcm", gradient(200, 200, 0, 255), bits_allocated=8,
                header={"PatientID": "PT-9000", "AccessionNumber": "ACC90001", "PatientSex": "M",
                        "PatientAge": "045Y", "StudyDate": "20190102"})
    truncated = write_dicom("bad/truncated.dcm", gradient(300, 300))
    truncated.write_bytes(truncated.read_bytes()[:-5000])
    no_pixels = write_dicom("bad/nopixels.dcm", gradient(8, 8))
    data = no_pixels.read_bytes()
    no_pixels.write_bytes(data[: data.rfind(b"\xe0\x7f\x10\x00")])  # cut at the (7FE0,0010) PixelData tag
    (truncated.parent / "garbage.dcm").write_bytes(b"not dicom at all" * 20)
    (truncated.parent / "notes.txt").write_text("operator notes\n")
    return truncated.parent.parent


@pytest.fixture
def converted(write_dicom: DicomWriter, tmp_path: Path) -> tuple[Path, list[dict], list[dict]]:
    source = _corpus(write_dicom)
    out = tmp_path / "png"
    with (tmp_path / "errors.jsonl").open("w") as errors:
        summary = convert_folder(source, out, SECRET, ConvertOptions(), errors)
    assert (summary.files, summary.images, summary.errors, summary.skipped) == (6, 3, 3, 1)
    index = [json.loads(line) for line in (out / "images.jsonl").read_text().splitlines()]
    errors_found = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_text().splitlines()]
    return out, index, errors_found


def test_images_are_16_bit_pngs_at_a_quarter_size_in_pseudonymous_folders(converted: tuple) -> None:
    out, index, _ = converted
    assert [(line["rows"], line["columns"]) for line in index] == [(100, 80), (100, 80), (50, 50)]
    for line in index:
        patient, study, _name = line["image"].split("/")
        assert (patient, study) == (line["patient_id"], line["study_id"])
        assert line["study_id"] == line["metadata"]["AccessionNumber"]
        with Image.open(out / line["image"]) as png:
            assert png.mode == "I;16" and png.size == (line["columns"], line["rows"]) and png.info == {}
            pixels = np.asarray(png)
            assert pixels.min() < 1000 and pixels.max() > 64500  # the full range, give or take the filter
    monochrome1, monochrome2 = (np.asarray(Image.open(out / line["image"])) for line in index[:2])
    assert monochrome1[0, 0] > 60000 and monochrome2[0, 0] < 5000  # MONOCHROME1 was inverted


def test_the_index_holds_only_deidentified_listed_fields(converted: tuple) -> None:
    _, index, _ = converted
    first = index[0]
    assert set(first["metadata"]) == set(HEADER)
    assert first["metadata"]["PatientAge"] == "090Y" and first["metadata"]["PatientSex"] == "F"
    assert first["metadata"]["StudyDate"] != HEADER["StudyDate"] and len(first["metadata"]["StudyDate"]) == 8
    assert first["source"] == {"rows": 400, "columns": 320, "bits_stored": 12, "photometric": "MONOCHROME1"}
    assert "metadata.PatientAge: 90 or over; capped at 90" in first["warnings"]
    assert first["text_found"] is None  # not looked for
    assert index[0]["study_id"] == index[1]["study_id"] != index[2]["study_id"]


def test_no_phi_reaches_any_output_file(converted: tuple) -> None:
    out, _, _ = converted
    for path in out.rglob("*"):
        text = path.relative_to(out).as_posix()
        data = path.read_bytes() if path.is_file() else b""
        for value in PHI:
            assert value not in text and value.encode() not in data, (value, text)


def test_bad_files_are_listed_and_the_others_converted(converted: tuple) -> None:
    _, _, errors = converted
    by_file = {e["file"]: e for e in errors}
    assert set(by_file) == {"bad/truncated.dcm", "bad/nopixels.dcm", "bad/garbage.dcm"}
    assert by_file["bad/truncated.dcm"]["field"] == "PixelData" and "truncated" in by_file["bad/truncated.dcm"]["error"]
    assert by_file["bad/nopixels.dcm"]["field"] == "PixelData"
    assert by_file["bad/garbage.dcm"]["error"] == "not a DICOM file"


def test_parallel_workers_write_the_same_index(write_dicom: DicomWriter, tmp_path: Path) -> None:
    source = _corpus(write_dicom)
    lines = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        with (tmp_path / f"e{workers}.jsonl").open("w") as errors:
            convert_folder(source, out, SECRET, ConvertOptions(), errors, workers=workers)
        lines.append((out / "images.jsonl").read_text())
    assert lines[0] == lines[1] and lines[0].count("\n") == 3


def test_multi_frame_files_give_one_png_per_frame(write_dicom: DicomWriter, tmp_path: Path) -> None:
    frames = np.stack([gradient(40, 40, 0, 1000), gradient(40, 40, 0, 3000)])
    path = write_dicom("mf.dcm", frames, bits_stored=12)
    lines = Converter(SECRET, tmp_path / "out", ConvertOptions()).convert(path, "mf.dcm")
    assert [line["frame"] for line in lines] == [1, 2] and lines[0]["image"].endswith("-f001.png")
    assert all((tmp_path / "out" / line["image"]).is_file() for line in lines)


def test_a_study_without_accession_is_named_by_a_keyed_hash_of_its_uid(write_dicom: DicomWriter,
                                                                        tmp_path: Path) -> None:
    path = write_dicom("n.dcm", gradient(), header={"AccessionNumber": None})
    converter = Converter(SECRET, tmp_path / "out", ConvertOptions())
    line = converter.convert(path, "n.dcm")[0]
    assert line["study_id"].startswith("S") and len(line["study_id"]) == 21
    assert "AccessionNumber" not in line["metadata"]


def test_a_file_without_patient_id_cannot_be_linked(write_dicom: DicomWriter, tmp_path: Path) -> None:
    path = write_dicom("np.dcm", gradient(), header={"PatientID": None})
    with pytest.raises(DicomError, match="np.dcm: PatientID: missing"):
        Converter(SECRET, tmp_path / "out", ConvertOptions()).convert(path, "np.dcm")


def test_a_constant_image_is_an_error(write_dicom: DicomWriter, tmp_path: Path) -> None:
    path = write_dicom("c.dcm", np.full((10, 10), 5))
    with pytest.raises(DicomError, match="constant image"):
        Converter(SECRET, tmp_path / "out", ConvertOptions()).convert(path, "c.dcm")


def test_a_pseudonym_can_never_leave_its_folder() -> None:
    assert safe_name("UM-419790") == "UM-419790" and safe_name("AB.12") == "AB.12"
    assert "/" not in safe_name("../x/y") and not safe_name("..").startswith(".")
    assert safe_name("A B") != safe_name("A_B")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_detect_text_blacks_out_burned_in_text_and_counts_it(write_dicom: DicomWriter, tmp_path: Path) -> None:
    from PIL import ImageDraw, ImageFont

    from service.dataset.ocr import find_text

    rng = np.random.default_rng(0)
    base = np.clip(rng.normal(1500, 150, (800, 800)), 0, 3000)
    layer = Image.new("L", (800, 800), 0)
    draw, font = ImageDraw.Draw(layer), ImageFont.load_default(size=48)
    draw.text((40, 40), "THORNQUIST 03/05/2021", fill=255, font=font)
    left, top, right, bottom = (round(v / 4) for v in draw.textbbox((40, 40), "THORNQUIST 03/05/2021", font=font))
    base[np.asarray(layer) > 127] = 4095
    write_dicom("text/a.dcm", np.rint(base).astype(np.int64), bits_stored=12)
    write_dicom("text/b.dcm", np.rint(np.clip(rng.normal(1500, 150, (800, 800)), 0, 3000)).astype(np.int64),
                bits_stored=12)
    out = tmp_path / "out"
    with (tmp_path / "e.jsonl").open("w") as errors:
        summary = convert_folder(tmp_path / "dicom" / "text", out, SECRET, ConvertOptions(detect_text=True), errors)
    assert (summary.images, summary.with_text) == (2, 1)
    lines = [json.loads(line) for line in (out / "images.jsonl").read_text().splitlines()]
    assert [line["text_found"] for line in lines] == [True, False] and lines[0]["text_boxes"] >= 2
    png = np.asarray(Image.open(io.BytesIO((out / lines[0]["image"]).read_bytes())))
    region = png[top:bottom, left:right]  # the text's place, at a quarter of the size
    assert region.max() < 3000 / 4095 * 65535  # nothing as bright as the text is left: the background at most
    assert (region == 0).mean() > 0.8  # and it is black but for the blur of its edges
    assert find_text(png.astype(float), 65535) == []


# -- the link to the reports ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pipeline(detector: Detector) -> Pipeline:
    return Pipeline(Settings(route="rules"), SECRET, detector=detector)


@pytest.mark.parametrize("by", ["patient_id", "metadata"])
def test_a_report_and_its_images_share_patient_accession_and_shifted_date(
    write_dicom: DicomWriter, tmp_path: Path, pipeline: Pipeline, by: str
) -> None:
    path = write_dicom("s/a.dcm", gradient())
    image = Converter(SECRET, tmp_path / "out", ConvertOptions()).convert(path, "s/a.dcm")[0]
    metadata = {"AccessionNumber": HEADER["AccessionNumber"], "StudyDate": HEADER["StudyDate"]}
    if by == "metadata":
        metadata["PatientID"] = HEADER["PatientID"]
    record = InputRecord(id="r1", text=f"FINDINGS: Clear lungs. Compared with {HEADER['StudyDate'][:4]}.",
                         patient_id=HEADER["PatientID"] if by == "patient_id" else None, metadata=metadata)
    report = pipeline.process([record]).outcomes[0]
    assert report["patient_id"] == image["patient_id"] == image["image"].split("/")[0]
    assert report["metadata"]["AccessionNumber"] == image["metadata"]["AccessionNumber"] == image["study_id"]
    assert report["metadata"]["StudyDate"] == image["metadata"]["StudyDate"] != HEADER["StudyDate"]
