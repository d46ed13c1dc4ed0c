from service.deid.spans import EntityType, Span, resolve_overlaps, trim

P, D, ORG = EntityType.PERSON, EntityType.DATE, EntityType.ORGANIZATION


def test_same_type_overlaps_merge_into_their_union() -> None:
    text = "Chang, Megan R came"
    spans = [Span(P, 0, 14, 0.85), Span(P, 7, 14, 0.7), Span(P, 7, 12, 0.95)]
    assert resolve_overlaps(spans, text) == [Span(P, 0, 14, 0.95)]


def test_a_date_keeps_its_extent_against_a_weaker_overlap() -> None:
    text = "of 09/08/2014 at St. Luke's Hospital."
    spans = [Span(D, 3, 13, 0.95), Span(EntityType.ADDRESS, 9, 20, 0.5), Span(ORG, 17, 36, 0.85)]
    out = resolve_overlaps(spans, text)
    assert [(s.entity_type, text[s.start : s.end]) for s in out] == [
        (D, "09/08/2014"), (EntityType.ADDRESS, "at"), (ORG, "St. Luke's Hospital"),
    ]


def test_adjacent_different_types_stay_apart_and_are_trimmed() -> None:
    text = "Dr. Rose Gray, Mercy Medical Center"
    out = resolve_overlaps([Span(P, 4, 14, 0.95), Span(P, 15, 20, 0.7), Span(ORG, 15, 35, 0.85)], text)
    assert [(s.entity_type, text[s.start : s.end]) for s in out] == [(P, "Rose Gray"), (ORG, "Mercy Medical Center")]


def test_trim_drops_spans_without_letters_or_digits() -> None:
    assert trim(Span(P, 0, 4, 1.0), "  , \n") is None
    assert trim(Span(P, 0, 8, 1.0), "\n  MRN: x") == Span(P, 3, 6, 1.0)
