import re

from service.deid.keys import KeyedHasher
from service.deid.surrogates import Surrogates


def _s(secret: bytes = b"k") -> Surrogates:
    return Surrogates(KeyedHasher(secret))


def test_names_map_word_by_word_consistently_and_keep_case() -> None:
    s = _s()
    full = s.person("John Smith")
    last_first = s.person("SMITH, JOHN")
    alone = s.person("smith")
    first_sur, last_sur = full.split()
    assert last_first == f"{last_sur.upper()}, {first_sur.upper()}"
    assert alone == last_sur.lower()
    assert "Smith" not in full and "John" not in full


def test_names_differ_between_secrets_and_never_equal_the_original() -> None:
    words = ["Smith", "Garcia", "Nguyen", "Okafor", "Lee", "Patel", "Cohen", "Rossi"]
    a, b = _s(b"a"), _s(b"b")
    assert [a.person(w) for w in words] != [b.person(w) for w in words]
    assert all(a.person(w) != w for w in words)


def test_initials_become_other_initials() -> None:
    out = _s().person("J. Q. Public")
    assert re.fullmatch(r"[A-Z]\. [A-Z]\. [A-Z][a-z]+", out)
    assert not out.startswith("J. Q.")


def test_identifiers_keep_length_classes_and_separators() -> None:
    s = _s()
    for value in ["00123456", "RAD-2019-88812", "ab12-CD34", "(617) 555-1234", "123-45-6789"]:
        out = s.identifier(value)
        assert len(out) == len(value) and out != value
        for a, b in zip(value, out, strict=True):
            assert a.isdigit() == b.isdigit() and a.isupper() == b.isupper() and a.islower() == b.islower()
            if not a.isalnum():
                assert a == b


def test_identifiers_are_consistent_across_case_and_spacing() -> None:
    s = _s()
    assert s.identifier("ab123") .lower() == s.identifier("AB123").lower()
    assert s.identifier("00123456") == _s().identifier("00123456")


def test_places_and_contacts_look_real_and_hide_the_original() -> None:
    s = _s()
    assert s.institution("St. Mary's Hospital").endswith(" Hospital")
    assert "Mary" not in s.institution("St. Mary's Hospital")
    assert s.institution("Mercy Medical Center").endswith("Medical Center")
    assert s.street("123 Main St").endswith(" St") and "Main" not in s.street("123 Main St")
    unit = s.street("30824 Walker Drive Apt. 089")  # the apartment number is part of the address
    assert " Drive Apt. " in unit and not unit.endswith("089") and len(unit.split()[-1]) == 3
    assert s.location("62704") != "62704" and s.location("62704").isdigit()
    assert s.email("jdoe@mercy.org").endswith("@example.org")
    assert s.url("http://pacs.mercy.org/x").startswith("http://www.example.org/")
    assert re.fullmatch(r"10\.\d+\.\d+\.\d+", s.ip("192.168.1.20"))
    assert s.age("93") == "90+"


def test_identifiers_without_letters_or_digits_pass_and_uncased_letters_change() -> None:
    surrogates = _s()
    assert surrogates.identifier("¬-#") == "¬-#"  # nothing identifying; once recursed without end
    changed = surrogates.identifier("中文12")
    assert len(changed) == 4 and changed[:2] != "中文" and changed[2:].isdigit()
