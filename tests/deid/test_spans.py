from hypothesis import given
from hypothesis import strategies as st

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


def _per_character(spans: list[Span], text: str) -> list[Span]:
    """The definition, one character at a time: each takes the type of its highest-priority span (a
    later one on ties), runs of one type join, and each run keeps its best span's score and source."""
    owner: dict[int, Span] = {}
    for span in sorted(spans, key=lambda s: s.priority):
        owner.update(dict.fromkeys(range(span.start, span.end), span))
    runs: list[tuple[int, int, Span]] = []
    for position in sorted(owner):
        span = owner[position]
        if runs and runs[-1][1] == position and runs[-1][2].entity_type == span.entity_type:
            start, _, best = runs[-1]
            runs[-1] = (start, position + 1, span if span.priority > best.priority else best)
        else:
            runs.append((position, position + 1, span))
    out = [trim(Span(best.entity_type, a, b, best.score, best.source), text) for a, b, best in runs]
    return [s for s in out if s is not None]


_SPANS = st.lists(
    st.tuples(st.sampled_from([P, D, ORG, EntityType.ID]), st.integers(0, 39), st.integers(1, 12),
              st.sampled_from([0.4, 0.7, 0.95]), st.sampled_from("abc")),
    max_size=8,
)


@given(st.text(alphabet="ab ,1", min_size=40, max_size=40), _SPANS)
def test_the_sweep_gives_what_the_per_character_definition_gives(text: str, raw: list) -> None:
    spans = [Span(kind, a, min(40, a + n), score, source) for kind, a, n, score, source in raw]
    assert resolve_overlaps(spans, text) == _per_character(spans, text)


def test_many_spans_resolve_in_one_sweep() -> None:
    text = "on 1/2/2019 " * 20_000  # 240 KB of dates: per-character work would take seconds
    spans = [Span(D, 3 + 12 * i, 11 + 12 * i, 0.95) for i in range(20_000)]
    assert resolve_overlaps(spans, text) == spans
