import pytest

from service.deid import patterns
from service.deid.spans import EntityType


def _texts(recognizer: patterns.Recognizer, text: str) -> list[str]:
    return [text[s.start : s.end] for s in recognizer(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRN: 00123456", ["00123456"]),
        ("Accession #: RAD-2019-88812", ["RAD-2019-88812"]),
        ("Acc 7781234 performed", ["7781234"]),
        ("Patient ID 55-1234-9", ["55-1234-9"]),
        ("ref 123456789 in text", ["123456789"]),
    ],
)
def test_identifiers(text: str, expected: list[str]) -> None:
    assert set(_texts(patterns.identifiers, text)) == set(expected)


def test_identifiers_leave_measurements_and_levels_alone() -> None:
    assert _texts(patterns.identifiers, "2.5 x 3.1 cm nodule at T12-L1, 1500 mL") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call (617) 555-1234 now", ["(617) 555-1234"]),
        ("tel 617-555-1234 x123", ["617-555-1234 x123"]),
        ("pager 4-1234", ["4-1234"]),
        ("beeper #54321", ["54321"]),
    ],
)
def test_phones(text: str, expected: list[str]) -> None:
    assert expected[0] in _texts(patterns.phones, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Desk: 5403926876 today", ["5403926876"]),  # unseparated
        ("reached at 202 2671093.", ["202 2671093"]),  # grouped 3-7
        ("CELL-410 202-6694 & HOME-410 671-9309.", ["410 202-6694", "410 671-9309"]),  # glued to a label
        ("Fax: +41 (0)62 585 51 90", ["+41 (0)62 585 51 90"]),  # with its country code
        ("office +46 8 928 571 38", ["+46 8 928 571 38"]),
    ],
)
def test_phones_in_any_grouping_and_with_a_country_code(text: str, expected: list[str]) -> None:
    assert set(expected) <= set(_texts(patterns.phones, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phone:\n467 3395\n", "467 3395"),  # on the line below its label
        ("Mobile: 0490 39 07 81", "0490 39 07 81"),  # not a US grouping: the label says what it is
        ("Desk: +447700 921 916", "+447700 921 916"),
        ("781 1704 office", "781 1704"),  # the label after the number
        ("082 490 1693-Office", "082 490 1693"),
        ("please call me at 0494 92 82 32", "0494 92 82 32"),
    ],
)
def test_labelled_phones_in_any_country_style(text: str, expected: str) -> None:
    assert expected in _texts(patterns.phones, text)


def test_a_label_word_without_its_colon_labels_nothing() -> None:
    assert _texts(patterns.phones, "home 2 days after 3 weeks at work 40 hours") == []


@pytest.mark.parametrize(
    "text",
    [
        "MRN 1234567890",  # area code 123 is none: an identifier, not a phone
        "ABG 7.35/281/42/24/-2",  # a blood gas
        "BP 130-180/80-100",
        "+2 edema, 2+ pulses, +1 617",  # too few digits after a plus
        "dates 10.15.2019 and 2019-10-15",
        "123 123 123 123 123 123 123",  # a run of digit groups
    ],
)
def test_clinical_numbers_are_not_phones(text: str) -> None:
    assert _texts(patterns.phones, text) == []


def test_ip_addresses_v4_and_v6_but_not_dotted_runs_or_times() -> None:
    text = "host 192.168.1.20 and 10.0.0.1/24; fe80::1ff:fe23:4567:890a, 2001:db8::8a2e:370:7334."
    assert _texts(patterns.ips, text) == [
        "192.168.1.20", "10.0.0.1/24", "fe80::1ff:fe23:4567:890a", "2001:db8::8a2e:370:7334",
    ]
    assert _texts(patterns.ips, "version 1.2.3.4.5, at 10:30:45, 1.1.1.1.1.1.1.1.1.1.1.1") == []


def test_times_of_day_are_not_phones() -> None:
    assert _texts(patterns.phones, "called at 1430 hours; discussed at 10:45") == []


def test_contacts_urls_and_ssn() -> None:
    assert _texts(patterns.urls, "see http://pacs.example.com/v?id=9.") == ["http://pacs.example.com/v?id=9"]
    assert _texts(patterns.ssns, "SSN 123-45-6789") == ["123-45-6789"]


def test_emails() -> None:
    text = "Mail jo.ann+cxr@mail.example-clinic.org. Or J_Doe@HOSP.EDU, not a@b, not 2@3.45, not me@host."
    assert _texts(patterns.emails, text) == ["jo.ann+cxr@mail.example-clinic.org", "J_Doe@HOSP.EDU"]


def test_a_long_run_of_address_characters_is_read_once() -> None:
    run = "a." * 50_000 + "@" + "b." * 50_000  # no address: a local part may not exceed 64 characters
    assert _texts(patterns.emails, run + "c") == []


def test_addresses_cities_and_zip() -> None:
    text = "Lives at 123 Main St, Apt 4B, Springfield, IL 62704."
    found = patterns.addresses(text)
    got = {(s.entity_type, text[s.start : s.end]) for s in found}
    assert (EntityType.ADDRESS, "123 Main St, Apt 4B") in got
    assert (EntityType.LOCATION, "Springfield") in got
    assert (EntityType.LOCATION, "62704") in got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prior study from St. Mary's Hospital.", ["St. Mary's Hospital"]),
        ("Transferred from Mercy Medical Center today", ["Mercy Medical Center"]),
        ("seen at Lakeside Imaging Center", ["Lakeside Imaging Center"]),
        ("compared with outside hospital films", []),
        ("at the Hospital", []),
    ],
)
def test_institutions(text: str, expected: list[str]) -> None:
    assert _texts(patterns.institutions, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("92-year-old woman", ["92"]),
        ("a 101 year old man", ["101"]),
        ("age 95", ["95"]),
        ("94 y/o male", ["94"]),
        ("91F with cough", ["91"]),
        ("89-year-old woman", []),
        ("45 yo male", []),
        ("90 mL of contrast", []),
    ],
)
def test_ages_of_90_and_over_only(text: str, expected: list[str]) -> None:
    assert _texts(patterns.ages, text) == expected


def test_a_city_state_and_zip_anchor_the_street_before_them_whatever_its_suffix() -> None:
    text = "Mercy Clinic | 6829 Quillon Dam Apt. 4, Lake Orrin, ND 28928 | Patient: X"
    streets = [text[s.start : s.end] for s in patterns.addresses(text) if s.entity_type == EntityType.ADDRESS]
    assert streets == ["6829 Quillon Dam Apt. 4"]
    clinical = patterns.addresses("Heart size 2 cm, stable. Lungs clear.")
    assert [s for s in clinical if s.entity_type == EntityType.ADDRESS] == []


def test_a_unit_word_is_a_whole_word() -> None:
    text = "4391 Oak Drive, Stephaniestad, OR 55765"  # "Ste..." is no suite
    streets = {text[s.start : s.end] for s in patterns.addresses(text) if s.entity_type == EntityType.ADDRESS}
    assert streets == {"4391 Oak Drive"}


def test_matches_found_back_from_their_anchor_are_the_scan_s_matches() -> None:
    import random

    rng = random.Random(3)
    words = ["Springfield", "Boston", "MA", "IL", "New", "York", "NY", "62704", "02115-1234", "Bell", "Imaging",
             "Associates", "Marsh", "Family", "Practice", "Group", "of", "&", "Radiology", "Partners", "Labs", "the",
             "Ab1-Ab1", ",", "Services", "St.", "North", "Carolina", "Quincy,", "x", "Institute", "Internal",
             "Medicine"]
    for _ in range(3000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
        for regex, anchor, reach in ((patterns._ZIP_AFTER_STATE, patterns._ZIP_CODE, 200),
                                     (patterns._GROUP, patterns._GROUP_SUFFIX, 240)):
            expected = [m.span() for m in regex.finditer(text)]
            assert [m.span() for m in patterns._ending_at(regex, anchor, text, reach)] == expected, text
