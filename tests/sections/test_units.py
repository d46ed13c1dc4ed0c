from hypothesis import given
from hypothesis import strategies as st

from service.sections.units import numbered, split_units


def test_lines_and_sentences_become_units_but_abbreviations_and_list_numbers_do_not_split() -> None:
    text = (
        "EXAM: CHEST\r\nINDICATION: Cough. Fever.\nFINDINGS: Dr. Smith saw it. 1. Mild edema.\n\n"
        "IMPRESSION:\n2. Normal."
    )
    assert numbered(text, split_units(text)).splitlines() == [
        "[1] EXAM: CHEST", "[2] INDICATION: Cough.", "[3] Fever.", "[4] FINDINGS: Dr. Smith saw it.",
        "[5] 1. Mild edema.", "[6] IMPRESSION:", "[7] 2. Normal.",
    ]


@given(st.text(alphabet=st.sampled_from(list("ab .\n\r!?AZ19:")), max_size=200))
def test_units_cover_every_non_blank_character_in_order(text: str) -> None:
    units = split_units(text)
    covered = "".join(text[u.start : u.end] for u in units)
    assert "".join(text.split()) == "".join(covered.split())
    assert all(a.end <= b.start for a, b in zip(units, units[1:], strict=False))
    assert all(text[u.start : u.end] == text[u.start : u.end].strip() != "" for u in units)


def test_headers_inside_a_line_start_a_new_unit() -> None:
    text = "INDICATION: Cough COMPARISON: None FINDINGS: Clear. IMPRESSION: Normal."
    assert numbered(text, split_units(text)).splitlines() == [
        "[1] INDICATION: Cough", "[2] COMPARISON: None", "[3] FINDINGS: Clear.", "[4] IMPRESSION: Normal.",
    ]


def test_numbered_paragraphs_shows_a_blank_line_where_the_report_has_one() -> None:
    text = "Cough.\r\n\r\nLungs clear.\n\t\nNo effusion.\nNormal."
    assert numbered(text, split_units(text), paragraphs=True).split("\n") == [
        "[1] Cough.", "", "[2] Lungs clear.", "", "[3] No effusion.", "[4] Normal."]
    assert "\n\n" not in numbered(text, split_units(text))


@given(st.text(alphabet=st.sampled_from(list("ab .\n\r!?AZ19:")), max_size=200), st.data())
def test_units_cut_at_given_offsets_are_the_units_cut_again(text: str, data: st.DataObject) -> None:
    """Cutting at offsets found elsewhere (the report's headers) splits the units there and nowhere else."""
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=8))))
    plain = split_units(text, headers=False)
    units = split_units(text, headers=False, cuts=cuts)
    assert not any(u.start < cut < u.end for u in units for cut in cuts)
    for whole in plain:  # each plain unit is the run of cut units inside it, stripped
        inside = [u for u in units if whole.start <= u.start and u.end <= whole.end]
        assert inside and (inside[0].start, inside[-1].end) == (whole.start, whole.end)
        bounds = [whole.start, *(c for c in cuts if whole.start < c < whole.end), whole.end]
        expected = [(a + len(text[a:b]) - len(text[a:b].lstrip()), b - len(text[a:b]) + len(text[a:b].rstrip()))
                    for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]
        assert [(u.start, u.end) for u in inside] == expected
