import json
from pathlib import Path

import pytest

from service.compare import compare, token_f1
from service.errors import InputError


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps({"id": r["id"], "sections": r["s"]}) + "\n" for r in rows))
    return path


def _s(ind=None, comp=None, find=None, imp=None) -> dict:
    return {"indication": ind, "comparison": comp, "findings": find, "impression": imp}


def test_token_f1() -> None:
    assert token_f1(None, "") == 1.0 and token_f1("a b", None) == 0.0
    assert token_f1("The lungs are clear.", "the LUNGS are clear") == 1.0
    assert token_f1("a b c d", "a b") == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_agreement_per_section_with_disagreeing_ids(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", [{"id": "1", "s": _s("Cough.", None, "Clear.", "Normal.")},
                                      {"id": "2", "s": _s(None, None, "Opacity right.", "Pneumonia.")},
                                      {"id": "3", "s": _s()}])
    b = _write(tmp_path / "b.jsonl", [{"id": "2", "s": _s(None, None, "Opacity.", "Pneumonia.")},
                                      {"id": "1", "s": _s("Cough.", None, "Clear.", "Normal.")}])
    report = compare(a, b)
    assert (report["records"], report["only_in_a"], report["only_in_b"]) == (2, 1, 0)
    assert report["sections"]["findings"]["exact"] == 0.5 and report["sections"]["findings"]["disagreeing_ids"] == ["2"]
    assert report["sections"]["findings"]["token_f1"] == pytest.approx((1 + 2 / 3) / 2, abs=1e-4)
    assert report["sections"]["impression"] == {"exact": 1.0, "token_f1": 1.0, "disagreeing_ids": []}


def test_a_file_that_is_not_radprep_output_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"id": "1"}\n')
    with pytest.raises(InputError, match="line 1"):
        compare(tmp_path / "x.jsonl", tmp_path / "x.jsonl")
