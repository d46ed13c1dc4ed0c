"""Dates: find them in every common format and shift them by the patient's offset, keeping the format.

One table of shapes serves both halves: a shape is a regex whose named groups say which part of the
match is the month, the day and the year, so a detected date is re-rendered by replacing exactly
those groups and leaving every other character (separators, commas, "of", periods) as it was.

What is shifted, and how:
- full dates (M/D/Y, Y-M-D, "March 14, 2019", "14-Mar-19", "20190314" after a date word): shifted by
  the offset in days; widths, zero padding, 2- or 4-digit years, month-name style (full/abbreviated,
  case) and ordinal suffixes ("14th" → "5th") are kept;
- partial dates without a year ("3/14", "March 14"): shifted as a day of leap year 2000, rendered
  without a year;
- month and year ("March 2019", "8/87"): moved by the offset in whole months, at least one month in
  the offset's direction (a few days' shift would otherwise leave the month as it was);
- a year alone ("in 1992", "'92"): moved one year in the direction of the offset (a decade such as
  "1980s" one decade), so that it never stays the original value and the order of a patient's years
  is kept.
Times of day ("14:32", "2:30 p.m.") are not dates here and are kept: they are not identifying on
their own under HIPAA Safe Harbor and they carry the clinical timing of notifications. A time glued to
a full date ("SEP 24, 2004@11:25", "2021-03-04T10:22:05Z", "May 22 2026 01:22AM") is part of the date
span: the date shifts by the offset (whole days, so the time of day stays), and the time is kept as
written, time zone included.

Day or month first: "03/04/2019" and "03.04.2019" are read month-first (US reports), unless only the
other order is a valid date; and when one date of a text can only be read day-first ("25/03/2019",
"13.04.2019"), every date of that text with the same separator is read day-first.
Dates glued to a path or code ("OP Unknown/09-07-2022@16:14", "XXXX/05/31/2016") are found after a
word and a slash, and so are partial dates after a word and a period ("Quartermain.8/31") and both
ends of a range ("10/15-10/16"). A day of the month alone is a date after "on/since/until/by the"
or when it ends a clause ("it's the 11th."), not when it qualifies a noun ("the 11th rib").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from service.deid.spans import has_digit

_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)
_MONTH_BY_NAME = {name: i + 1 for i, name in enumerate(_MONTHS)}
_MONTH_BY_NAME.update({name[:3]: i + 1 for i, name in enumerate(_MONTHS)})
_MONTH_BY_NAME["sept"] = 9

# Month names; "May"/"Mar" also read as words, so those two count only when capitalised.
_MONTH_RE = (
    r"(?:(?i:january|february|april|june|july|august|september|october|november|december"
    r"|jan|feb|apr|jun|jul|aug|sept|sep|oct|nov|dec)|March|MARCH|march|May|MAY|Mar|MAR|may)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"
_ORD = r"(?:st|nd|rd|th|ST|ND|RD|TH)"
_YEAR4 = r"(?:1[89]\d\d|20\d\d)"
_L = r"(?<![\w.\-])(?<![\d.\-]/)"  # not glued to a preceding word, number or separator ("Unknown/" is fine)
_R = r"(?!(?!T\d)\w|[/\-.]\d)"  # nor to a following one (but "T10:22" may follow)
_TIME = re.compile(
    r"(?:@[ \t]?|T|[ \t]+)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,6})?)?"
    r"(?:[ \t]?(?i:[ap]\.?m\.?)(?!\w))?(?:Z|[+\-](?:[01]\d):?[0-5]\d)?(?![\w:])"
)
_DATE_WORD = re.compile(
    r"(?i)\b(?:dated?|dob|d\.o\.b\.?|birth|born|on|of|from|since|study|exam|prior|comparison"
    r"|performed|admitted|admission|discharged?|seen|until|through|to)\b[\s:#]*$"
)
_FRACTION_WORD = re.compile(
    r"(?i)(?:\b(?:upper|lower|mid|middle|distal|proximal|inferior|superior|pain|strength|score|ps|peep|cpap"
    r"|bipap|vent|motor|power|grips?|reflexes|rate|ratio)\s*[:=]?\s*|%/)$"
)
# A 4-digit time of day ("at 1800", "@2000", "from 2000 to 2400", "HEME=1800") is no year.
_TIME_BEFORE = re.compile(r"(?i)(?:\b(?:at|by|from|until|till|since|to|after|before|around|@|q|x)|[@=~])\s*$")
_TIME_AFTER = re.compile(r"(?i)^\s*(?:h\b|hrs?\b|hours?\b|-\s*\d{4}|to\s+\d{4}|&\s*\d{4})")
# "Comparison: CT chest 1/2", "from 12/27/2007 and 1/3": a fraction-like m/d in a comparison or a list of dates
_COMPARISON_BEFORE = re.compile(r"(?i)\b(?:comparison|compared|prior|previous)\b[^\n|.;]{0,50}$")
_DATE_LIST_BEFORE = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?[ \t]*(?:,|and|&)[ \t]*$")
_CLAUSE_END = re.compile(r"[ \t]*(?:[.,;!?\"')]|$)")
_AFTER_FRACTION = re.compile(r"(?i)^\s*(?:of\b|pain|strength|cm|mm|ratio)")


@dataclass(frozen=True, slots=True)
class _Shape:
    name: str
    regex: re.Pattern[str]


_SHAPES: tuple[_Shape, ...] = (
    _Shape("iso", re.compile(rf"{_L}(?P<year>{_YEAR4})(?P<sep>[-/.])(?P<month>{_MON})(?P=sep)(?P<day>{_DAY}){_R}")),
    _Shape(
        "numeric",  # also glued to a word before it ("TOXICITY-9/2/92", "on10/14/82", "Quartermain.8/31/99")
        re.compile(
            rf"(?:{_L}|(?<=[^\W\d_])|(?<=[^\W\d_][\-.]))(?P<a>\d{{1,2}})(?P<sep>[/\-.])(?P<b>\d{{1,2}})(?P=sep)"
            rf"(?P<year>\d{{4}}|\d{{2}}){_R}"
        ),
    ),
    _Shape(
        "month_name_day",
        re.compile(
            rf"\b(?P<month>{_MONTH_RE})[ \t]+(?P<day>{_DAY})(?P<ord>{_ORD})?\b"
            rf"(?:(?P<ysep>,?[ \t]*|,[ \t]*)(?P<year>{_YEAR4}|'\d\d)\b)?"
        ),
    ),
    _Shape(
        "day_month_name",
        re.compile(
            rf"{_L}(?P<day>{_DAY})(?P<ord>{_ORD})?(?:[ \t]+of[ \t]+|[ \t]+|-)(?P<month>{_MONTH_RE})"
            rf"(?:(?P<ysep>,?[ \t]+|-)(?P<year>{_YEAR4}|\d\d))?\b"
        ),
    ),
    _Shape("month_name_year",
           re.compile(rf"\b(?P<month>{_MONTH_RE})(?:,?[ \t]+|[ \t]+(?i:of)[ \t]+)(?P<year>{_YEAR4}|'\d\d)\b")),
    # also glued to a word ("LA-10/3", "Quartermain.8/31") and in a range ("10/15-10/16")
    _Shape("month_day", re.compile(
        rf"(?:{_L}|(?<=[^\W\d_][\-.])|(?<=\d/\d-)|(?<=\d/\d\d-))(?P<a>{_MON})/(?P<b>{_DAY})"
        rf"(?:{_R}|(?=-{_MON}/{_DAY}(?![\w/])))"
    )),
    _Shape("month_year", re.compile(
        rf"(?:{_L}|(?<=[^\W\d_])|(?<=[^\W\d_]-))(?P<month>{_MON})/(?P<year>{_YEAR4}|[4-9]\d|3[2-9]){_R}"
    )),
    # a day of the month alone ("on the 11th", "it's the 11th."): a date element; an ordinal that
    # qualifies a noun ("the 11th rib") is none
    _Shape("ordinal_day", re.compile(
        r"(?i:\b(?P<cue>(?:on|since|until|by)[ \t]+)?the[ \t]+)(?P<day>[12]?\d|3[01])(?P<ord>st|nd|rd|th)\b"
    )),
    _Shape(
        "compact",
        re.compile(rf"{_L}(?P<year>(?:19|20)\d\d)(?P<month>0[1-9]|1[0-2])(?P<day>0[1-9]|[12]\d|3[01]){_R}"),
    ),
    # A two-digit year after a dated event of a medical history ("PMH: CABG 81, MI 92", "CA'88").
    _Shape(
        "event_year",
        re.compile(
            r"(?i:\b(?:cabg|mi|cva|tia|ptca|pci|avr|mvr|tkr|thr|tah|bso|chole|appy|dx|fx|s/p|surgery|stroke|ca)"
            r"(?:[ \t]+(?:in|x\d))?[ \t]*'?)(?P<year>[4-9]\d)'?(?![\w%/.:]|[ \t]*(?i:mg|mm|cm|%|bpm|units?|kg|cc|ml))"
        ),
    ),
    _Shape(
        "year",
        re.compile(
            r"(?<![\w/.\-$])(?P<year>(?:1[89]\d\d|20\d\d)(?:'?[sS])?|'\d\d(?:'?[sS])?)"
            r"(?![\w%/]|\.\d|[ \t]*(?i:mm|cm|ml|mg|mcg|cc|units?|kg|lbs?|m?l/|%))"
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    start: int
    end: int  # past a glued time of day, if any
    shape: str
    match: re.Match[str]
    day_first: bool = False  # numeric dates: read DD/MM


_WITH_TIME = frozenset({"iso", "numeric", "compact"})  # and the named-month shapes that have a year
_NAMED_MONTH_SHAPES = frozenset({"month_name_day", "day_month_name", "month_name_year"})
_MONTH_STEMS = tuple(name[:3] for name in _MONTHS)  # every spelling of _MONTH_RE starts with one


def find_dates(text: str) -> list[DateMatch]:
    """All dates in the text, non-overlapping, longest first where shapes compete."""
    if not has_digit(text):
        return []
    found: list[DateMatch] = []
    day_first = _day_first_separators(text)
    lower = text.lower()
    month_named = any(stem in lower for stem in _MONTH_STEMS)  # a dozen substring searches in C
    for shape in _SHAPES:
        if shape.name in _NAMED_MONTH_SHAPES and not month_named:
            continue  # the common report names no month: three scans of it saved
        for m in shape.regex.finditer(text):
            if _plausible(shape, m, text):
                end = m.end()
                if shape.name in _WITH_TIME or "year" in m.re.groupindex and m.group("year") and shape.name != "year":
                    t = _TIME.match(text, end)
                    end = t.end() if t else end
                first = shape.name == "numeric" and m["sep"] in day_first
                start = m.start()
                if shape.name == "event_year":  # the date is the year, not the event before it
                    start, end = m.start("year") - (text[m.start("year") - 1] == "'"), m.end("year")
                elif shape.name == "ordinal_day":
                    start, end = m.start("day"), m.end("ord")
                found.append(DateMatch(start, end, shape.name, m, first))
    found.sort(key=lambda d: (d.start, -(d.end - d.start)))
    result: list[DateMatch] = []
    for d in found:
        if result and d.start < result[-1].end:
            continue
        result.append(d)
    return result


def _day_first_separators(text: str) -> set[str]:
    """Separators whose numeric dates this text writes day-first: those of which one date of the text
    can only be read day-first ("25/03/2019", "13.04.2019")."""
    day_first: set[str] = set()
    for m in _SHAPES[1].regex.finditer(text):
        if int(m["a"]) > 12 and int(m["b"]) <= 12:
            day_first.add(m["sep"])
    return day_first


def _plausible(shape: _Shape, m: re.Match[str], text: str) -> bool:
    before = text[max(0, m.start() - 30) : m.start()]
    if "month" in m.re.groupindex and m["month"] == "may" and not m["year"]:
        return False  # lower-case "may" is a date only with its year ("may 16, 2015")
    if shape.name == "numeric":
        return _month_day_order(int(m["a"]), int(m["b"])) is not None
    if shape.name in ("month_day", "month_year"):
        after = text[m.end() : m.end() + 12]
        if _FRACTION_WORD.search(before) or _AFTER_FRACTION.match(after):
            return False
    if shape.name == "year" and m["year"].isdigit():
        value = int(m["year"])
        if value < 1900:
            return False  # no year of a living patient's record before 1900
        if value <= 2359 and value % 100 < 60 and (
            _TIME_BEFORE.search(before) or _TIME_AFTER.match(text[m.end() : m.end() + 12])
        ):
            return False
    if shape.name == "ordinal_day" and not m["cue"]:
        return bool(_CLAUSE_END.match(text, m.end()))  # "it's the 11th.", not "the 11th rib"
    if shape.name == "month_day":
        month, day = int(m["a"]), int(m["b"])
        # 1/2, 1/3, 2/3, 3/4 ... are fractions unless a date word, a comparison or another date precedes them.
        if day <= 4 and month < day and not _DATE_WORD.search(before):
            wider = text[max(0, m.start() - 60) : m.start()]
            return bool(_COMPARISON_BEFORE.search(wider) or _DATE_LIST_BEFORE.search(before))
        return True
    return True


def _month_day_order(a: int, b: int, day_first: bool = False) -> tuple[int, int] | None:
    """(month, day) for a numeric date: month-first (US) unless `day_first`, or only the other
    order is valid."""
    if day_first and 1 <= b <= 12 and 1 <= a <= 31:
        return b, a
    if 1 <= a <= 12 and 1 <= b <= 31:
        return a, b
    if 1 <= b <= 12 and 1 <= a <= 31:
        return b, a
    return None


def _full_year(text: str) -> int:
    digits = text.strip("'sS")
    value = int(digits)
    if len(digits) == 2:
        return 2000 + value if value <= 30 else 1900 + value
    return value


def _render_year(original: str, year: int) -> str:
    digits = original.strip("'sS")
    if len(digits) == 2:
        new = f"{year % 100:02d}"
    else:
        new = f"{year:04d}"
    return original.replace(digits, new, 1)


def _zero_padded(numbers: list[str]) -> bool:
    """Is a numeric date written zero-padded? "03/14" yes, "3/14" and "7/14/19" no, "12/25" yes,
    "12/97" (one number, nothing to tell) no."""
    if any(n.startswith("0") for n in numbers):
        return True
    return len(numbers) > 1 and not any(len(n) == 1 for n in numbers)


def _render_number(value: int, padded: bool) -> str:
    return f"{value:02d}" if padded else str(value)


def _render_month_name(original: str, month: int, abbreviated_may: bool = False) -> str:
    """Same style as the original: full or abbreviated name, case, trailing period."""
    word = original.rstrip(".")
    full = _MONTHS[month - 1]
    if word.lower() in _MONTHS and not (abbreviated_may and word.lower() == "may"):
        new = full
    elif word.lower() == "sept" and month == 9:
        new = "sept"
    else:
        new = full[:3]
    if word.isupper():
        new = new.upper()
    elif word[0].isupper():
        new = new.capitalize()
    dot = original[len(word) :] if new.lower() not in _MONTHS else ""  # never "May."
    return new + dot


def _ordinal(day: int, original: str) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return suffix.upper() if original.isupper() else suffix


def shift_date(d: DateMatch, offset_days: int) -> str:
    """The matched date moved by offset_days, in the format it was written in."""
    m = d.match
    text = m.group(0)
    base = m.start()
    time = m.string[m.end() : d.end]  # a glued time of day, kept as written
    if d.shape == "ordinal_day":
        return shift_day_text(m.string[d.start : d.end], offset_days)
    if d.shape in ("year", "event_year"):
        step = 10 if m["year"].rstrip("'").endswith(("s", "S")) else 1  # a decade moves a decade
        year = _full_year(m["year"])
        new_year = _render_year(m["year"], year + (step if offset_days > 0 else -step))
        return m.string[d.start : m.start("year")] + new_year + m.string[m.end("year") : max(d.end, m.end("year"))]

    parts: dict[str, tuple[int, int]] = {}  # role -> (start, end) within text
    if d.shape in ("numeric", "month_day"):
        month_day = _month_day_order(int(m["a"]), int(m["b"]), d.day_first)
        assert month_day is not None
        month_group, day_group = ("a", "b") if month_day == (int(m["a"]), int(m["b"])) else ("b", "a")
        parts["month"] = m.span(month_group)
        parts["day"] = m.span(day_group)
    else:
        parts["month"] = m.span("month")
        if "day" in m.re.groupindex and m.group("day") is not None:
            parts["day"] = m.span("day")
    if "year" in m.re.groupindex and m.group("year") is not None:
        parts["year"] = m.span("year")

    piece = {role: text[s - base : e - base] for role, (s, e) in parts.items()}  # role -> its text
    month_text = piece["month"]
    month = int(month_text) if month_text.isdigit() else _MONTH_BY_NAME[month_text.rstrip(".").lower()]
    year = _full_year(piece["year"]) if "year" in parts else 2000
    if "day" in parts:
        try:
            original = dt.date(year, month, int(piece["day"]))
        except ValueError:
            original = dt.date(year, month, 28)
        new = original + dt.timedelta(days=offset_days)
    else:
        months = max(1, round(abs(offset_days) / 30.44)) * (1 if offset_days > 0 else -1)
        index = year * 12 + month - 1 + months
        new = dt.date(index // 12, index % 12 + 1, 1)

    numbers = [piece[role] for role in ("month", "day") if role in piece and piece[role].isdigit()]
    padded = _zero_padded(numbers)
    replacements: list[tuple[int, int, str]] = []
    # "14-May-2019" is the abbreviated style (dd-Mon-yyyy), with a 2-digit day; "14 May 2019" is not.
    dashed = d.shape == "day_month_name" and "-" in text
    # "May" names no style; a zero-padded day ("May 05") or a glued time ("May 22 2026 01:22AM")
    # goes with abbreviated month names, as machine exports write them.
    day_part = m.group("day") if "day" in m.re.groupindex else None
    short_may = dashed or bool(time) or bool(day_part and day_part.startswith("0"))
    replacements.append((*parts["month"], _render_number(new.month, padded) if month_text.isdigit()
                         else _render_month_name(month_text, new.month, abbreviated_may=short_may)))
    if "day" in parts:
        day_text = piece["day"]
        day_padded = padded if month_text.isdigit() else day_text.startswith("0") or dashed and len(day_text) == 2
        replacements.append((*parts["day"], _render_number(new.day, day_padded)))
        if "ord" in m.re.groupindex and m.group("ord") is not None:
            replacements.append((*m.span("ord"), _ordinal(new.day, m["ord"])))
    if "year" in parts:
        replacements.append((*parts["year"], _render_year(piece["year"], new.year)))
    out = text
    for s, e, value in sorted(replacements, reverse=True):
        out = out[: s - base] + value + out[e - base :]
    return out + time


def shift_compact(value: str, offset_days: int) -> str | None:
    """Shift a DICOM-style YYYYMMDD date (metadata StudyDate); None when it is not one."""
    try:
        original = dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None
    return (original + dt.timedelta(days=offset_days)).strftime("%Y%m%d")


def shift_day_text(text: str, offset_days: int) -> str:
    """A day of the month alone ("11th") moved by the offset within a 31-day month, ordinal kept."""
    m = re.fullmatch(r"(\d{1,2})([A-Za-z]{2})", text)
    if m is None:
        return text
    day = (int(m[1]) - 1 + offset_days) % 31 + 1
    return f"{day}{_ordinal(day, m[2])}"


def shift_year_text(text: str, offset_days: int) -> str:
    """A year written alone ("81", "'92", "1992") moved one year in the direction of the offset."""
    return _render_year(text, _full_year(text) + (1 if offset_days > 0 else -1))


def whole_date(text: str, day_first: bool = False) -> DateMatch | None:
    """The date shape that fits a detected date span whole (a glued time of day included), or None.
    `day_first` reads an ambiguous numeric date DD/MM, as `find_dates` decided."""
    for shape in _SHAPES:
        m = shape.regex.match(text)
        if m is None or m.end() < len(text) and _TIME.fullmatch(text, m.end()) is None:
            continue
        if shape.name == "numeric" and not _month_day_order(int(m["a"]), int(m["b"])):
            continue
        first = shape.name == "numeric" and (day_first or m["sep"] in _day_first_separators(text))
        return DateMatch(0, len(text), shape.name, m, first)
    return None


def calendar_date(d: DateMatch) -> dt.date | None:
    """The calendar date of a match that names day, month and year; None for partial dates."""
    m = d.match
    groups = m.re.groupindex
    if d.shape == "year" or "year" not in groups or m.group("year") is None:
        return None
    if d.shape in ("numeric", "month_day"):
        month_day = _month_day_order(int(m["a"]), int(m["b"]), d.day_first)
        if month_day is None:
            return None
        month, day = month_day
    elif "day" in groups and m.group("day") is not None:
        month_text = m["month"]
        month = int(month_text) if month_text.isdigit() else _MONTH_BY_NAME[month_text.rstrip(".").lower()]
        day = int(m["day"])
    else:
        return None
    try:
        return dt.date(_full_year(m["year"]), month, day)
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def shift_date_text(text: str, offset_days: int, day_first: bool = False) -> str | None:
    """Shift a detected date span given as text alone, a glued time of day included; None unless
    one date shape fits it whole (the caller then replaces the span like an identifier, so nothing
    in it survives). Cached: a report repeats its dates, and a patient's reports share them."""
    d = whole_date(text, day_first)
    return None if d is None else shift_date(d, offset_days)
