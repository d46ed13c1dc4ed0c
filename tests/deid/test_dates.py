import datetime as dt

import pytest

from service.deid.dates import find_dates, shift_compact, shift_date, shift_date_text


def _one(text: str) -> str:
    found = find_dates(text)
    assert len(found) == 1, [text[d.start : d.end] for d in found]
    return text[found[0].start : found[0].end]


@pytest.mark.parametrize(
    ("text", "date", "shifted"),
    [
        ("seen 03/14/2019.", "03/14/2019", "04/23/2019"),
        ("seen 3/14/19.", "3/14/19", "4/23/19"),
        ("seen 2019-03-14.", "2019-03-14", "2019-04-23"),
        ("seen 14-Mar-2019.", "14-Mar-2019", "23-Apr-2019"),
        ("seen March 14, 2019.", "March 14, 2019", "April 23, 2019"),
        ("seen Mar. 14 2019.", "Mar. 14 2019", "Apr. 23 2019"),
        ("seen 14 March 2019.", "14 March 2019", "23 April 2019"),
        ("seen MARCH 14TH, 2019.", "MARCH 14TH, 2019", "APRIL 23RD, 2019"),
        ("seen 14th of March", "14th of March", "23rd of April"),
        ("seen 03.14.2019", "03.14.2019", "04.23.2019"),
        ("seen 12-25-2020", "12-25-2020", "02-03-2021"),
        ("seen 25/12/2020", "25/12/2020", "03/02/2021"),
        ("DOB: 19560704", "19560704", "19560813"),
        ("CXR 3/14 showed", "3/14", "4/23"),
        ("seen March 2019", "March 2019", "April 2019"),
        ("seen Sept 2019", "Sept 2019", "Oct 2019"),
        ("since 4/97", "4/97", "5/97"),
    ],
)
def test_dates_are_found_and_shifted_in_their_own_format(text: str, date: str, shifted: str) -> None:
    assert _one(text) == date
    assert shift_date(find_dates(text)[0], 40) == shifted


@pytest.mark.parametrize(
    "text",
    [
        "the upper 1/3 of the lung", "pain 8/10", "BP 120/80", "2.5 cm nodule", "may be atelectasis",
        "500 ml", "13/14", "T12-L1", "at 10:32 AM", "a 3/4 view",
    ],
)
def test_things_that_are_not_dates_are_left_alone(text: str) -> None:
    assert find_dates(text) == []


def test_years_alone_move_one_year_in_the_direction_of_the_shift() -> None:
    text = "MI '92, CABG in 1995, smoker since the 1980s"
    found = find_dates(text)
    assert [text[d.start : d.end] for d in found] == ["'92", "1995", "1980s"]
    assert [shift_date(d, 10) for d in found] == ["'93", "1996", "1990s"]
    assert [shift_date(d, -10) for d in found] == ["'91", "1994", "1970s"]


def test_a_shift_is_a_real_calendar_shift_across_years_and_leap_days() -> None:
    found = find_dates("on 12/31/2019")[0]
    assert shift_date(found, 60) == "02/29/2020"
    assert shift_date(found, -365) == "12/31/2018"


def test_compact_dates_are_valid_calendar_dates_only() -> None:
    assert _one("study date 20190314") == "20190314"
    assert find_dates("accession 20191341") == []
    assert find_dates("ref 123201903141") == []


def test_month_and_year_move_by_at_least_one_month() -> None:
    found = find_dates("seen March 2019")[0]
    assert shift_date(found, 3) == "April 2019"
    assert shift_date(found, -3) == "February 2019"
    assert shift_date(found, 200) == "October 2019"
    assert shift_date(find_dates("since 12/97")[0], 40) == "1/98"


def test_metadata_study_date_shifts_and_rejects_non_dates() -> None:
    assert shift_compact("20200102", -30) == "20191203"
    assert shift_compact("2020-01-02", 5) is None
    assert shift_compact("20201340", 5) is None


def test_shift_date_text_handles_detected_spans_alone() -> None:
    assert shift_date_text("March 14, 2019", 1) == "March 15, 2019"
    assert shift_date_text("19560704", 1) == "19560705"
    assert shift_date_text("no date", 1) is None


@pytest.mark.parametrize("offset", [-365, -200, -1, 1, 77, 365])
def test_every_full_date_shifts_by_exactly_the_offset(offset: int) -> None:
    text = "03/14/2019"
    out = shift_date(find_dates(text)[0], offset)
    delta = dt.datetime.strptime(out, "%m/%d/%Y") - dt.datetime.strptime(text, "%m/%d/%Y")
    assert delta.days == offset


@pytest.mark.parametrize(
    ("text", "date", "shifted"),
    [
        # a time glued to the date is part of the span and is kept as written
        ("Exm Date: SEP 24, 2004@11:25 x", "SEP 24, 2004@11:25", "NOV 3, 2004@11:25"),
        ("OP Unknown/09-07-2022@16:14", "09-07-2022@16:14", "10-17-2022@16:14"),
        ("at 2021-03-04T10:22 it", "2021-03-04T10:22", "2021-04-13T10:22"),
        ("at 2021-03-04T10:22:05Z it", "2021-03-04T10:22:05Z", "2021-04-13T10:22:05Z"),
        ("at 2021-03-04T10:22:05.123+05:30.", "2021-03-04T10:22:05.123+05:30", "2021-04-13T10:22:05.123+05:30"),
        ("Dictated on May 22 2026 01:22AM", "May 22 2026 01:22AM", "Jul 1 2026 01:22AM"),
        ("A7795 Aug 05 2024 12:46PM MR", "Aug 05 2024 12:46PM", "Sep 14 2024 12:46PM"),
        ("signed 03/14/2019 14:02:11 by", "03/14/2019 14:02:11", "04/23/2019 14:02:11"),
        # glued to a path or a placeholder after a slash
        ("XXXX/05/31/2016", "05/31/2016", "07/10/2016"),
        # dotted dates are month-first unless the text says otherwise
        ("seen 03.04.2019 here", "03.04.2019", "04.13.2019"),
    ],
)
def test_dates_glued_to_times_and_paths(text: str, date: str, shifted: str) -> None:
    assert _one(text) == date
    assert shift_date(find_dates(text)[0], 40) == shifted
    assert shift_date_text(date, 40) == shifted


def test_day_or_month_first_is_decided_by_the_text() -> None:
    # one date that can only be day-first makes the text's other dates with that separator day-first
    text = "Prior 25/03/2019 and 04/05/2019."
    found = find_dates(text)
    assert [d.day_first for d in found] == [True, True]
    assert shift_date(found[1], 1) == "05/05/2019"
    # a dotted date that can only be day-first makes dotted dates day-first
    text = "On 25.03.2019 and 04.05.2019."
    assert [d.day_first for d in find_dates(text)] == [True, True]
    # US text stays month-first
    assert [d.day_first for d in find_dates("On 04/05/2019.")] == [False]


def test_times_alone_and_fractions_are_not_dates() -> None:
    assert find_dates("Called at 14:20, BP 120/80, 1/2 of the lung.") == []


def test_dates_of_nursing_notes() -> None:
    text = "PMH: CABG 81, MI '92. Cultures drawn on the 11th. Fx4/97. Line LA-10/3. TOXICITY-9/2/92. MARCH OF 1993."
    found = find_dates(text)
    assert [text[d.start : d.end] for d in found] == ["81", "'92", "11th", "4/97", "10/3", "9/2/92", "MARCH OF 1993"]
    assert [shift_date(d, 40) for d in found] == ["82", "'93", "20th", "5/97", "11/12", "10/12/92", "APRIL OF 1993"]


def test_four_digit_times_and_ventilator_settings_are_not_dates() -> None:
    text = "Lasix given @1800 and at 2000, awake from 2000 to 2400. PS 5/5, CPAP 40%/5/5, strength 5/5. HR 92."
    assert find_dates(text) == []


def test_ordinal_days_ranges_and_glued_dates() -> None:
    text = "Transferred to the ward.8/31, cultures 10/15-10/16. She says it's the 12th. Fracture of the 11th rib."
    assert [text[d.start : d.end] for d in find_dates(text)] == ["8/31", "10/15", "10/16", "12th"]
    assert find_dates("BP 120/80-130/90 and the 2nd and 3rd toes") == []


def test_fraction_like_dates_in_a_comparison_or_a_list_of_dates() -> None:
    text = "Comparison: CT chest 1/2. Films from 12/27/2007 and 1/3."
    assert [text[d.start : d.end] for d in find_dates(text)] == ["1/2", "12/27/2007", "1/3"]
    assert find_dates("Compared with prior, 1/2 of the lung collapsed. Granuloma 1/3 size.") == []
