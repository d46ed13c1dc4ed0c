"""Table 1 and Table 2 of processed output, the image join, and the plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from service.dataset.plots import write_plots
from service.dataset.stats import (
    age_bin,
    age_years,
    as_json,
    collect,
    count_tokens,
    markdown,
    read_image_counts,
    sex_label,
)
from service.errors import InputError


def processed(record_id: str, patient: str | None, age: object = "045Y", sex: object = "F",
              accession: str | None = None, findings: str | None = "Lungs are clear.",
              impression: str | None = "Normal.") -> dict:
    """A line as `radprep process` writes it (all values made up)."""
    meta = {"PatientAge": age, "PatientSex": sex, **({"AccessionNumber": accession} if accession else {})}
    return {"id": record_id, "patient_id": patient, "text": "…",
            "sections": {"indication": None, "comparison": None, "findings": findings, "impression": impression},
            "entities": [], "metadata": meta, "warnings": []}


def write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def split_dir(tmp_path: Path) -> Path:
    write(tmp_path / "splits" / "train.jsonl", [
        processed("a", "AB-1", "045Y", "F", "X1", findings="Heart size is normal. Lungs clear."),
        processed("b", "AB-1", "046Y", "F", "X2", impression=None),
        processed("c", "AB-2", 90, "M", "X3"),
        processed("d", None, "", "O"),
    ])
    write(tmp_path / "splits" / "validation.jsonl", [processed("e", "AB-3", "006M", "male", "X4")])
    write(tmp_path / "splits" / "test.jsonl", [processed("f", "AB-4", "19", "F", "X5"),
                                              processed("g", "AB-5", "90+", None)])
    return tmp_path / "splits"


def test_tokens_are_words_and_punctuation_marks() -> None:
    assert count_tokens("Heart size is normal. Lungs clear.") == 8
    assert count_tokens("2.5 cm nodule") == 5
    assert count_tokens("") == 0


def test_ages_in_dicom_and_plain_forms() -> None:
    assert age_years("045Y") == 45 and age_years("90+") == 90 and age_years(61) == 61
    assert age_years("006M") == pytest.approx(0.5) and age_years("003W") == pytest.approx(21 / 365.25)
    assert age_years("") is None and age_years("unknown") is None and age_years(None) is None
    assert [age_bin(v) for v in ("019Y", "020Y", "59", 60.0, "079Y", "080Y", "090Y", "x")] == [
        "0-20", "20-40", "40-60", "60-80", "60-80", "80+", "80+", "unknown"]


def test_sex_is_m_f_or_u() -> None:
    assert [sex_label(v) for v in ("M", "f", "Female", "O", "", None, 1)] == ["M", "F", "F", "U", "U", "U", "U"]


def test_tables_count_studies_patients_and_sections_per_split(split_dir: Path) -> None:
    per_split, errors = collect(split_dir, None)
    assert errors == [] and list(per_split) == ["train", "validation", "test"]
    train = per_split["train"]
    assert (train.studies, len(train.patients)) == (4, 3)
    assert train.mean_tokens("findings") == pytest.approx((8 + 4 + 4 + 4) / 4)
    assert train.mean_tokens("impression") == 2 and train.mean_tokens("indication") is None
    assert train.ages == {"40-60": 2, "80+": 1, "unknown": 1} and train.sexes == {"F": 2, "M": 1, "U": 1}
    text = markdown(per_split, with_images=False)
    assert "| train | 4 | – | 3 | – | – | 5.0 | 2.0 |" in text
    assert "| total | 7 | – | 6 |" in text
    assert "| train | 0.0 | 0.0 | 50.0 | 0.0 | 25.0 | 25.0 | 25.0 | 50.0 | 25.0 |" in text
    assert "| validation | 100.0 | 0.0 |" in text
    assert "| train (% present) | 0.0% | 0.0% | 100.0% | 75.0% |" in text
    assert r"\w+|[^\w\s]" in text and "Patients in more than one split: 0." in text


def test_one_file_is_the_split_all_and_a_patient_in_two_splits_is_counted(tmp_path: Path) -> None:
    source = write(tmp_path / "out.jsonl", [processed("a", "AB-1"), processed("b", "AB-2")])
    per_split, _ = collect(source, None)
    assert list(per_split) == ["all"] and "| total |" not in markdown(per_split, False)
    write(tmp_path / "s" / "train.jsonl", [processed("a", "AB-1")])
    write(tmp_path / "s" / "test.jsonl", [processed("b", "ab-1")])
    assert as_json(collect(tmp_path / "s", None)[0])["patients_in_several_splits"] == 1


def test_images_join_on_patient_and_accession(split_dir: Path, tmp_path: Path) -> None:
    index = write(tmp_path / "png" / "images.jsonl", [
        {"image": "AB-1/X1/1.png", "patient_id": "AB-1", "metadata": {"AccessionNumber": "X1"}},
        {"image": "AB-1/X1/2.png", "patient_id": "AB-1", "metadata": {"AccessionNumber": "X1"}},
        {"image": "AB-1/X2/1.png", "patient_id": "AB-1", "metadata": {"AccessionNumber": "X2"}},
        {"image": "AB-3/X4/1.png", "patient_id": "AB-3", "metadata": {"AccessionNumber": "X4"}},
        {"image": "ZZ-9/X9/1.png", "patient_id": "ZZ-9", "metadata": {"AccessionNumber": "X9"}},  # no report
    ])
    counts = read_image_counts(index)
    per_split, _ = collect(split_dir, counts)
    assert [per_split[n].images for n in ("train", "validation", "test")] == [3, 1, 0]
    text = markdown(per_split, with_images=True)
    assert "| train | 4 | 3 | 3 |" in text and "3 of 7 studies have images" in text


def test_lines_that_are_not_processed_output_are_errors(tmp_path: Path) -> None:
    source = tmp_path / "raw.jsonl"
    source.write_text('{"id": "a", "text": "FINDINGS: x"}\nnot json\n' + json.dumps(processed("b", "P")) + "\n")
    per_split, errors = collect(source, None)
    assert per_split["all"].studies == 1
    assert [(e.where, e.field) for e in errors] == [("raw.jsonl line 1", "sections"), ("raw.jsonl line 2", "<record>")]


def test_a_folder_without_split_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no train.jsonl"):
        collect(tmp_path, None)


def test_plots_are_written_as_pngs(split_dir: Path, tmp_path: Path) -> None:
    per_split, _ = collect(split_dir, None)
    paths = write_plots(per_split, tmp_path / "plots")
    assert [p.name for p in paths] == ["age.png", "sex.png", "section_lengths.png"]
    for path in paths:
        with Image.open(path) as png:
            assert png.format == "PNG" and png.width >= 900 and png.height >= 500
