"""`radprep split`, `radprep stats` and `radprep dicom` from the command line: exit codes, files, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import EXTRA, HEADER, DicomWriter, gradient

from service.cli import main
from service.deid import Detector
from service.pipeline import Pipeline
from service.records import InputRecord
from service.settings import Settings

SECRET = "cli-dataset-secret"
PHI = [HEADER["PatientID"], HEADER["AccessionNumber"], HEADER["StudyDate"], "Lakeshore", *EXTRA.values()]


def test_the_commands_load_nothing_heavy_for_help() -> None:
    code = ("import sys; from service.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('numpy', 'pydicom', 'matplotlib', 'skimage', 'PIL') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_help_names_the_three_commands(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("split", "stats", "dicom"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--sizes" in out and "--images" in out and "--detect-text" in out


# -- split ---------------------------------------------------------------------------------------------
def _reports(path: Path, n: int = 40, bad: bool = False) -> Path:
    lines = [json.dumps({"id": f"r{i}", "text": "FINDINGS: clear.", "patient_id": f"P{i // 2}"}) for i in range(n)]
    path.write_text("\n".join(lines + (["{broken"] if bad else [])) + "\n", encoding="utf-8")
    return path


def test_split_writes_three_files_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _reports(tmp_path / "in.jsonl")
    assert main(["split", str(source), "-o", str(tmp_path / "s"), "--sizes", "0.5,0.25,0.25", "--seed", "3"]) == 0
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert {k: v["records"] for k, v in summary["splits"].items()} == {"train": 20, "validation": 10, "test": 10}
    assert summary["seed"] == 3 and summary["errors"] == 0
    assert "| train | 20 | 10 | 20 |" in capsys.readouterr().out
    assert not (tmp_path / "s.errors.jsonl").exists()


def test_split_with_bad_records_exits_1_and_lists_them(tmp_path: Path) -> None:
    source = _reports(tmp_path / "in.jsonl", bad=True)
    assert main(["split", str(source), "-o", str(tmp_path / "s")]) == 1
    errors = [json.loads(x) for x in (tmp_path / "s.errors.jsonl").read_text().splitlines()]
    assert errors == [{"where": "line 41", "id": None, "field": "<record>", "error": "invalid JSON at column 2"}]


def test_split_failures_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _reports(tmp_path / "in.jsonl")
    assert main(["split", str(source), "-o", str(tmp_path / "s"), "--sizes", "100,10,10"]) == 2
    assert main(["split", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "s")]) == 2
    assert main(["split", str(source), "-o", str(tmp_path / "s"), "--sizes", "1,2"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("radprep: error: ") for line in lines)


# -- dicom ---------------------------------------------------------------------------------------------
def _dicom_folder(write_dicom: DicomWriter) -> Path:
    write_dicom("Thornquist/1.dcm", gradient(200, 160, 0, 4095), photometric="MONOCHROME1", bits_stored=12)
    write_dicom("Thornquist/2.dcm", np.full((10, 10), 3))  # constant: an error
    return write_dicom("other/3.dcm", gradient(120, 120, 0, 255), bits_allocated=8,
                       header={"PatientID": "PT-1", "AccessionNumber": "A-2"}).parent.parent


def test_dicom_converts_and_lists_bad_files_beside_the_output(write_dicom: DicomWriter, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("RADPREP_SECRET", SECRET)
    source, out = _dicom_folder(write_dicom), tmp_path / "png"
    assert main(["dicom", str(source), "-o", str(out), "--workers", "2"]) == 1
    assert len((out / "images.jsonl").read_text().splitlines()) == 2
    errors = [json.loads(x) for x in (tmp_path / "png.errors.jsonl").read_text().splitlines()]
    assert errors == [{"file": "Thornquist/2.dcm", "field": "PixelData",
                       "error": "constant image: every pixel has the same value"}]
    assert not any(p.name.endswith("errors.jsonl") for p in out.rglob("*"))  # the release folder names no input
    assert "3 DICOM files: 2 images written" in caplog.text and "1 files could not be converted" in caplog.text
    assert not any(value in caplog.text for value in PHI)


def test_dicom_without_a_secret_fails_and_with_an_ephemeral_key_runs(
    write_dicom: DicomWriter, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    source = _dicom_folder(write_dicom)
    assert main(["dicom", str(source), "-o", str(tmp_path / "a")]) == 2
    assert "RADPREP_SECRET is not set" in capsys.readouterr().err
    assert main(["dicom", str(source), "-o", str(tmp_path / "b"), "--ephemeral-key"]) == 1
    assert "ephemeral key" in caplog.text


def test_dicom_refuses_an_empty_folder_and_bad_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RADPREP_SECRET", SECRET)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "readme.txt").write_text("nothing here")
    assert main(["dicom", str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 2
    assert main(["dicom", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--scale", "2"]) == 2
    assert main(["dicom", str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no DICOM files under" in err and "--scale must be in (0, 1]" in err and "input folder not found" in err


def test_detect_text_without_tesseract_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RADPREP_SECRET", SECRET)
    monkeypatch.setattr("service.dataset.ocr.shutil.which", lambda name: None)
    (tmp_path / "in").mkdir()
    assert main(["dicom", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--detect-text"]) == 2
    assert "apt-get install tesseract-ocr" in capsys.readouterr().err


# -- the whole workflow: reports and images → splits → tables ---------------------------------------------
@pytest.fixture(scope="module")
def pipeline(detector: Detector) -> Pipeline:
    return Pipeline(Settings(route="rules"), SECRET.encode(), detector=detector)


def test_reports_and_images_meet_in_the_tables(write_dicom: DicomWriter, tmp_path: Path, pipeline: Pipeline,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RADPREP_SECRET", SECRET)
    for i in range(6):  # six patients, one study each, two images per study
        header = {"PatientID": f"MRN{i:04d}", "AccessionNumber": f"ACC{i:05d}", "PatientAge": f"0{20 + 10 * i}Y"}
        for view in ("pa", "lat"):
            write_dicom(f"p{i}/{view}.dcm", gradient(80, 80, 0, 4095), bits_stored=12, header=header)
    assert main(["dicom", str(tmp_path / "dicom"), "-o", str(tmp_path / "png")]) == 0
    records = [InputRecord(id=f"r{i}", text="INDICATION: Cough.\nFINDINGS: Lungs are clear.\nIMPRESSION: Normal.",
                           patient_id=f"MRN{i:04d}",
                           metadata={"AccessionNumber": f"ACC{i:05d}", "PatientAge": f"0{20 + 10 * i}Y",
                                     "PatientSex": "MF"[i % 2]}) for i in range(6)]
    (tmp_path / "out.jsonl").write_text("".join(json.dumps(x) + "\n" for x in pipeline.process(records).outcomes))
    assert main(["split", str(tmp_path / "out.jsonl"), "-o", str(tmp_path / "splits"), "--sizes", "4,1,1"]) == 0
    capsys.readouterr()
    assert main(["stats", str(tmp_path / "splits"), "--images", str(tmp_path / "png" / "images.jsonl"),
                 "--plots", str(tmp_path / "plots")]) == 0
    out = capsys.readouterr().out
    assert "| train | 4 | 8 | 4 |" in out and "| total | 6 | 12 | 6 |" in out
    assert "6 of 6 studies have images" in out
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["age.png", "section_lengths.png", "sex.png"]
