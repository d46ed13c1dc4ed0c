"""Pattern recognizers for radiology text: dates, identifiers, phones, emails, IP addresses, URLs,
addresses, institutions, ages, and US city names from a gazetteer (`places.cities`).

Each is a function text -> list[Span]. They are plain regexes with a cheap guard (no digit in the
text, no date), so the common report costs a few microseconds per recognizer.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from service.deid.dates import find_dates
from service.deid.lexicon import STOPWORDS, name_lists, zipf
from service.deid.places import cities, gazetteer
from service.deid.spans import EntityType, Span, has_digit

Recognizer = Callable[[str], list[Span]]

_ID_LABEL = re.compile(
    r"(?i)\b(?:mrn|medical[ \t]+record(?:[ \t]+(?:number|no\.?|#))?|med[ \t]+rec(?:ord)?"
    r"|record[ \t]*(?:#|no\.?|number)|acc(?:ession)?(?:[ \t]*(?:number|no\.?|#|num))?|acc\.?"
    r"|patient[ \t]+id|pt[ \t]+id|pid|id(?:[ \t]+(?:number|no\.?))?"
    r"|study[ \t]+(?:id|number|#)|exam[ \t]+(?:id|number|#)|order(?:[ \t]+(?:id|number|no\.?|#))"
    r"|visit[ \t]+(?:id|number|#)|encounter(?:[ \t]+(?:id|number|#))?|fin|csn|account(?:[ \t]+(?:number|#))?|acct"
    r"|case[ \t]+(?:id|number|#)|requisition(?:[ \t]+(?:number|#))?|req[ \t]*#|specimen(?:[ \t]+#)?"
    r"|ssn|social[ \t]+security(?:[ \t]+number)?|health[ \t]+plan(?:[ \t]+(?:id|number))?|member[ \t]+id"
    r"|policy(?:[ \t]+(?:id|number|#))?|license(?:[ \t]+(?:number|#))?|device[ \t]+(?:id|serial)"
    r"|serial(?:[ \t]+(?:number|#))?)"
    r"[ \t]*(?:[:#=]|no\.?|number)?[ \t]*[:#]?[ \t]*"
    r"(?P<id>[A-Za-z]{0,4}[-]?\d[\dA-Za-z\-]{2,24})\b"
)
_LONG_NUMBER = re.compile(r"(?<![\w.\-/])(?:[A-Z]{1,3}-?)?\d{6,}(?:-\d+)?(?![\w.]\d|\w)")
_SSN = re.compile(r"(?<![\w\-])\d{3}-\d{2}-\d{4}(?![\w\-])")
_PHONE = re.compile(
    r"(?<![\w\-])(?:\+?1[ \t.\-]?)?(?:\(\d{3}\)[ \t]?|\d{3}[ \t.\-])\d{3}[ \t.\-]\d{4}"
    r"(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6})?(?![\w\-])"
)
# A US number in any grouping ("5403926876", "410 2026694", "HOME-410 671-9309"); checked in code against
# the numbering plan (area code and exchange start with 2-9), as libphonenumber's US metadata does.
_PHONE_NANP = re.compile(
    r"(?<![\w.+])(?<!\d[\-/])(?:1[ \t.\-]?)?(?P<area>\(\d{3}\)[ \t]?|\d{3}[ \t.\-]?)(?P<exchange>\d)\d{2}[ \t.\-]?\d{4}"
    r"(?![\w]|[\-./]\d)"
)
# A number with its country code ("+46 (0)8 928 571 38", "+1-604-696-5272"). Possessive repeats: one pass.
_PHONE_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ \t.\-]{0,2}+(?:\(\d{1,4}\)|\d++))++")
# Possessive repeats: a long run of address characters is read once, whatever follows it.
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}+@(?:[A-Za-z0-9\-]{1,63}+\.(?=[A-Za-z0-9]))++"
    r"[A-Za-z]{2,24}+(?![\w\-]|\.[A-Za-z0-9])"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?:/(?:3[0-2]|[12]?\d))?(?![\w]|\.\d)")
# One pass over the hex-and-colon runs; `ipaddress` says which are addresses ("10:30:45" is a time).
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*+(?:/\d{1,3})?")
_PHONE_LABEL = re.compile(
    r"(?i)(?:\b(?:pager|pgr|pg|beeper|beep|bpr|ext\.?|extension|x|phone|ph|tel|telephone|cell|cellular|mobile"
    r"|fax|call[ \t]+back(?:[ \t]+number)?|contact|call(?:[ \t]+(?:me|us|him|her|them))?[ \t]+(?:at|on)"
    r"|(?:desk|office|home|work)(?=[ \t]*:))\b|\#)"
    # Possessive blanks: two optional runs of blanks in a row would otherwise split a long run every way.
    # The number may stand on the next line ("Phone:" above it, as forms print).
    r"[ \t]*+(?:#|:|no\.?|number)?[ \t]*+(?:\r?\n[ \t]*+)?(?:at[ \t]++)?"
    r"(?P<num>\+?\(?\d[\d\-. ()]{2,18}\d)(?![\w])"
)
# A number before what it reaches ("781 1704 office", "082 490 1693-Office", "555 0199 fax").
_PHONE_BEFORE_LABEL = re.compile(
    r"(?<![\w.+\-/])(?P<num>\+?\(?\d[\d\-. ()]{4,18}\d)[ \t]*+-?[ \t]*+(?i:office|fax|mobile|cell|home|work|desk)\b"
)
_SHORT_NUMBER_LABEL = re.compile(r"(?i)(?:pager|pgr|pg|beeper|beep|bpr|ext\.?|extension|\bx|#)\W*$")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho"
    "|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota"
    "|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York"
    "|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota"
    "|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|District of Columbia"
    "|Puerto Rico|Guam"
)
_STATE = (
    r"(?:A[LKZRSA]|C[AOT]|D[EC]|F[LM]|G[AU]|HI|I[ADLN]|K[SY]|LA|M[ADEHINOPST]|N[CDEHJMVY]|O[HKR]|P[ARW]|RI|S[CD]"
    r"|T[NX]|UT|V[AIT]|W[AIVY]|" + _STATE_NAMES.replace(" ", r"[ \t]+") + ")"
)
# The rest of a capitalised word, at most 40 characters: bounded, so that the word-run patterns below stay
# linear in one long token ("Ab1-Ab1-...", a pasted blob) instead of rescanning it from each word start.
_WORD_TAIL = r"[\w'’\-]{0,40}"
_CITY = r"(?P<city>[A-Z][\w'’\-]{1,40}(?:[ \t][A-Z][\w'’\-]{1,40}){0,2})"
_ZIP_AFTER_STATE = re.compile(rf"\b{_CITY},?[ \t]+(?P<state>{_STATE})\.?,?[ \t]+(?P<zip>\d{{5}}(?:-\d{{4}})?)\b")
_ZIP_CODE = re.compile(r"\b\d{5}(?:-\d{4})?\b")  # the anchor of _ZIP_AFTER_STATE
# USPS street suffixes. Those that are also clinical words ("2 Views", "bowel Loops", "chest Wall",
# "bone Spur") count only in Title case after Title-case words that are not clinical words.
_RISKY_SUFFIX = (
    r"(?:View|Views|Field|Fields|Wall|Walls|Run|Spur|Spurs|Neck|Bridge|Bridges|Port|Station|Camp|Tunnel|Mall"
    r"|Key|Keys|Loaf|Loop|Fall|Extension|Extensions|Center|Centers|Point|Park|Pass|Path|Bay|Beach|Rest|Track"
    r"|Trace|Union|Unions|Well|Lock|Locks|Land|Isle|Fort|Cape|Ramp|Radial|Trailer|Ranch|Ridge|Crossing|Mount"
    r"|Mountain|Plain|Pine|Shore|Hollow|Heights|Harbor|Lake|Mill|River|Square|Trafficway|Freeway|Gateway|Light"
    r"|Passage|Rapid|Branch|Course)"
)
_STREET_SUFFIX = (
    r"(?:Street|Streets|St|Avenue|Ave|Av|Road|Roads|Rd|Boulevard|Blvd|Lane|Ln|Drive|Drives|Dr|Way|Ways|Court|Courts"
    r"|Ct|Place|Pl|Terrace|Ter|Circle|Circles|Cir|Parkway|Parkways|Pkwy|Highway|Hwy|Square|Squares|Sq|Trail|Trl"
    r"|Pike|Row|Alley|Aly|Bluff|Bluffs|Brook|Brooks|Burg|Burgs|Bypass|Canyon|Causeway|Cliff|Cliffs|Club|Common"
    r"|Commons|Corner|Corners|Cove|Coves|Creek|Crescent|Crest|Crossing|Xing|Crossroad|Curve|Dale|Divide|Estate"
    r"|Estates|Expressway|Expy|Extension|Ext|Falls|Ferry|Flat|Flats|Ford|Fords|Forest|Forge|Forges|Fork|Forks"
    r"|Freeway|Fwy|Garden|Gardens|Gateway|Glen|Glens|Green|Greens|Grove|Groves|Harbor|Harbors|Haven|Heights|Hts"
    r"|Hill|Hills|Hollow|Inlet|Island|Islands|Junction|Junctions|Knoll|Knolls|Lake|Lakes|Landing|Lights|Lodge"
    r"|Manor|Manors|Meadow|Meadows|Mews|Mill|Mills|Mission|Motorway|Mountain|Mountains|Orchard|Oval|Overpass"
    r"|Parks|Pines|Plains|Plaza|Points|Ports|Prairie|Ranch|Rapids|Ridge|Ridges|Road|Route|Rte|Shoal|Shoals"
    r"|Shore|Shores|Skyway|Spring|Springs|Stravenue|Stream|Summit|Throughway|Turnpike|Tpke|Underpass|Valley"
    r"|Valleys|Viaduct|Village|Villages|Ville|Vista|Walk|Walks|Wells|Rue)"
)
_STREET_WORDS = rf"(?P<words>(?:(?:[A-Z]{_WORD_TAIL}|\d{{1,3}}(?:st|nd|rd|th))\.?[ \t]+){{1,4}})"
_UNIT = r"(?:,?[ \t]+(?i:(?:Apt|Apartment|Unit|Suite|Ste|Fl|Floor|Rm|Room)(?![^\W\d_])|#)\.?[ \t]*#?[\w\-]+)?"
_STREETS = (
    re.compile(rf"\b\d{{1,6}}[ \t]+(?:[NSEW]\.?[ \t]+)?{_STREET_WORDS}(?i:{_STREET_SUFFIX})\b\.?{_UNIT}"),
    re.compile(
        rf"\b\d{{1,6}}[ \t]+(?:[NSEW]\.?[ \t]+)?{_STREET_WORDS}(?:{_RISKY_SUFFIX}|{_RISKY_SUFFIX.upper()})\b{_UNIT}"
    ),
)
_STREET_BEFORE_CITY = re.compile(
    rf"(?<![\w.])(?P<street>\d{{1,6}}[ \t]+(?:[A-Z]{_WORD_TAIL}\.?[ \t]+){{0,4}}[A-Z]{_WORD_TAIL}\.?{_UNIT}),[ \t]*$"
)
_ADDRESS_LABEL = re.compile(
    r"(?im)\b(?:home[ \t]+address|address|addr|residence|lives[ \t]+at|resides[ \t]+at)\b[ \t]*[:#]?[ \t]*"
    r"(?P<rest>[^\n]{1,120})"
)
# Where an address value ends in a flattened export: a sentence end, a double space, the next field.
_ADDRESS_END = re.compile(r"(?P<word>\w+)\.[ \t]+(?=[A-Z])|[ \t]{2}|,?[ \t]*[A-Z][A-Za-z ]{1,30}:|[;|]")
_ADDRESS_ABBREVIATIONS = frozenset(
    "st apt ste blvd ave av rd ln ct dr mt ft pl pkwy hwy cir ter sq trl n s e w ne nw se sw no bldg fl rm".split()
)
_ZIP = r"(?P<zip>\d{5}(?:-\d{4})?)"
_ADDRESS_PARTS = (
    re.compile(rf"^(?:{_STATE})\.?(?:[ \t]+{_ZIP})?$"),
    re.compile(rf"^{_CITY}(?:[ \t]+(?:{_STATE})\.?)?(?:[ \t]+{_ZIP})?$"),
    re.compile(rf"^{_ZIP}$"),
)
_PO_BOX = re.compile(r"(?i)\bP\.?[ \t]?O\.?[ \t]+Box[ \t]+\d+\b")
_INSTITUTION = re.compile(
    rf"\b(?:(?:St\.?|Saint|Mount|Mt\.?)[ \t]+)?(?:[A-Z]{_WORD_TAIL}\.?[ \t]+(?:(?i:of|and|&|the)[ \t]+)?){{1,4}}"
    r"(?i:Hospital|Hospitals|Medical[ \t]+Center|Medical[ \t]+Centre|Med\.?[ \t]+(?:Ctr|Center)\.?|Hosp\."
    r"|Health[ \t]+Center|Health[ \t]+System|Healthcare"
    r"|Health[ \t]+Care|Clinic|Clinics|Infirmary|Imaging[ \t]+Center|Cancer[ \t]+Center|Nursing[ \t]+Home"
    r"|Rehabilitation[ \t]+(?:Center|Hospital)|Rehab[ \t]+Center|Care[ \t]+Center|Surgery[ \t]+Center|Radiology"
    r"[ \t]+(?:Associates|Group|Partners)|Urgent[ \t]+Care|Memorial|Medical[ \t]+Group|Health)\b"
    r"(?:[ \t]+(?:of|at)[ \t]+[A-Z][a-zA-Z]+(?:[ \t][A-Z][a-zA-Z]+)?)?"
)
_GROUP = re.compile(
    rf"\b(?P<words>(?:[A-Z]{_WORD_TAIL}\.?[ \t]+(?:(?:of|&)[ \t]+)?){{1,3}})(?:(?:Medical|Imaging|Radiology|Radiologic"
    r"|Orthopa?edic|Family|Internal[ \t]+Medicine|Cardiology|Cardiovascular|Diagnostic|Surgical|Physicians?|Health"
    r"|Pediatric|Women's|Heart|Spine|Vascular|Neurology|Oncology|Pulmonary|Chest|Sports[ \t]+Medicine|Primary[ \t]+Care"
    r"|Urgent[ \t]+Care|Dental|Eye|Kidney|Dialysis)[ \t]+)?(?:Associates|Partners|Group|Practice|Diagnostics"
    r"|Imaging|Physicians|Specialists|Consultants|Institute|Laboratories|Labs?|Services)\b"
)
_STATE_FULL = re.compile(_STATE_NAMES)
_STATE_SHORT = frozenset(
    "mass conn penn mich minn wash tenn ariz calif colo fla ill ind kan ky md miss mo mont neb nev okla ore tex va vt"
    " wis wyo ala ark del ga ia".split()
)
_GROUP_SUFFIX = re.compile(  # the anchor of _GROUP: its last word
    r"\b(?:Associates|Partners|Group|Practice|Diagnostics|Imaging|Physicians|Specialists|Consultants|Institute"
    r"|Laboratories|Labs?|Services)\b"
)
_PLACE_GENERAL = re.compile(r"\b(?P<place>[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?)[ \t]+General\b(?![ \t]+[a-z])")
_LEADING_WORD = re.compile(r"(?P<word>[A-Za-z]+)[ \t]+")
_GENERIC_INSTITUTION_WORDS = frozenset(
    "the a an outside our this that prior previous local same other community university general "
    "county regional city state children's veterans va emergency main".split()
)
_AGE = re.compile(
    r"(?i)(?:\b(?:age|aged|age:)[ \t]*(?P<a>9\d|1[0-2]\d)\b)|(?:(?<![\w.])(?P<b>9\d|1[0-2]\d)(?:[ \t]*|-)"
    r"(?:years?|yrs?|y)(?:[ \t]*|-)(?:old|o\b|/o\b|\.o\.)|(?<![\w.])(?P<c>9\d|1[0-2]\d)[ \t]*-?[ \t]*"
    r"(?:yo|y/o|y\.o\.|yr[ \t]+old|year[ \t]+old|yrs?[ \t]+old)\b"
    r"|(?<![\w.])(?P<d>9\d|1[0-2]\d)[ \t]?-?(?-i:M|F|YOM|YOF|YO|yo)\b"
    r"|(?<![\w.])(?P<e>9\d|1[0-2]\d)[ \t]*(?:years?|yrs?)[ \t]+of[ \t]+age\b"
    r"|\b(?P<f>ninety(?:[ \t\-](?:one|two|three|four|five|six|seven|eight|nine))?|one[ \t\-]hundred(?:[ \t\-]"
    r"(?:and[ \t\-])?(?:one|two|three|four|five|six|seven|eight|nine|ten))?)[ \t\-]+(?:years?|yrs?)"
    r"(?:[ \t\-]+old|[ \t]+of[ \t]+age)\b)"
)
_TEMPERATURE = re.compile(r"(?i)\b(?:t|temp|temperature|tmax|tm|febrile|fever)\b[ \t:]*(?:of[ \t]+)?$")


def _ending_at(regex: re.Pattern[str], anchor: re.Pattern[str], text: str, reach: int) -> list[re.Match[str]]:
    """The matches of `regex` that end where a match of `anchor` (its fixed last part: a zip code, a
    suffix word) ends, each looked for in the `reach` characters before its anchor, which is longer
    than any match. The same matches as a scan from every word start, in time linear in the text:
    such a scan re-reads up to 40 characters of a word from each of its starts ("Ab1-Ab1-..."), 0.15 s
    per 100 KB for each pattern."""
    def ending_at(start: int, end: int) -> re.Match[str] | None:
        m = regex.search(text, start, end)
        while m is not None and m.end() != end:  # a shorter match before the anchor's own
            m = regex.search(text, m.start() + 1, end)
        return m

    found: list[re.Match[str]] = []
    for a in anchor.finditer(text):
        if found and a.end() <= found[-1].end():
            continue
        m = ending_at(max(0, a.start() - reach), a.end())
        if m is not None and found and m.start() < found[-1].end():
            longer = regex.match(text, found[-1].start(), a.end())
            if longer is not None and longer.end() == a.end():  # the last match reaches this anchor too
                found[-1] = longer
                continue
            m = ending_at(found[-1].end(), a.end())  # a scan goes on after the match it took
        if m is not None:
            found.append(m)
    return found


def _spans(regex: re.Pattern[str], text: str, kind: EntityType, group: str | int = 0,
           score: float = 0.9, source: str = "") -> list[Span]:
    return [Span(kind, m.start(group), m.end(group), score, source or kind.value.lower())
            for m in regex.finditer(text) if m.group(group)]


def dates(text: str) -> list[Span]:
    # A bare year ("1855") is weak evidence: a street number or an ID that overlaps it wins.
    return [
        Span(EntityType.DATE, d.start, d.end, 0.5 if d.shape in ("year", "event_year", "ordinal_day") else 0.95,
             f"date:{d.shape}" + (":day-first" if d.day_first else ""))
        for d in find_dates(text)
    ]


def identifiers(text: str) -> list[Span]:
    if not has_digit(text):
        return []
    return _spans(_ID_LABEL, text, EntityType.ID, "id", 0.95, "id:label") + _spans(
        _LONG_NUMBER, text, EntityType.ID, 0, 0.6, "id:long"
    )


def ssns(text: str) -> list[Span]:
    return _spans(_SSN, text, EntityType.SSN, 0, 0.9) if "-" in text else []


def phones(text: str) -> list[Span]:
    if not has_digit(text):
        return []
    found = _spans(_PHONE, text, EntityType.PHONE, 0, 0.9)
    for m in _PHONE_NANP.finditer(text):
        if m["area"].lstrip("(")[0] in "01" or m["exchange"] in "01":
            continue  # not a US number: "123 456 7890", an accession number
        found.append(Span(EntityType.PHONE, m.start(), m.end(), 0.4, "phone:nanp"))
    if "+" in text:
        for m in _PHONE_INTERNATIONAL.finditer(text):
            if 8 <= sum(ch.isdigit() for ch in m.group()) <= 15:  # E.164: a country code and 7-14 more digits
                found.append(Span(EntityType.PHONE, m.start(), m.end(), 0.6, "phone:international"))
    for m in _PHONE_LABEL.finditer(text):
        digits = sum(ch.isdigit() for ch in m["num"])
        # A pager or extension may be 4 digits; after "phone", "tel", "fax" 4 digits are a time ("at 0900"),
        # 5 an internal extension ("phone 83554").
        short_ok = _SHORT_NUMBER_LABEL.search(m.group()[: m.start("num") - m.start()]) is not None
        if (4 if short_ok else 5) <= digits <= 15:
            found.append(Span(EntityType.PHONE, m.start("num"), m.end("num"), 0.8, "phone:label"))
    for m in _PHONE_BEFORE_LABEL.finditer(text):
        if 7 <= sum(ch.isdigit() for ch in m["num"]) <= 15:
            found.append(Span(EntityType.PHONE, m.start("num"), m.end("num"), 0.8, "phone:before-label"))
    return found


def emails(text: str) -> list[Span]:
    return _spans(_EMAIL, text, EntityType.EMAIL, 0, 0.9) if "@" in text else []


def ips(text: str) -> list[Span]:
    """IPv4 and IPv6 addresses, each candidate checked by `ipaddress`. A dotted quad inside a longer
    dotted run ("1.2.3.4.5", a version string) is not an address."""
    found = []
    if text.count(".") >= 3:
        found += [Span(EntityType.IP, m.start(), m.end(), 0.6, "ip:v4") for m in _IPV4.finditer(text)]
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6_CANDIDATE.finditer(text):
            candidate = m.group().rstrip(".:")
            if candidate.count(":") >= 2 and _valid_ip(candidate.partition("/")[0]):
                found.append(Span(EntityType.IP, m.start(), m.start() + len(candidate), 0.6, "ip:v6"))
    return found


def _valid_ip(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def urls(text: str) -> list[Span]:
    return _spans(_URL, text, EntityType.URL, 0, 0.95) if ("http" in text or "www." in text) else []


def addresses(text: str) -> list[Span]:
    """Streets, PO boxes, "City, ST 12345", and the parts of a line after "Address:".

    States are kept (Safe Harbor allows them); cities, zip codes and streets are PHI.
    """
    if not has_digit(text):
        return []
    found = _spans(_PO_BOX, text, EntityType.ADDRESS, 0, 0.9)
    found += _spans(_STREETS[0], text, EntityType.ADDRESS, 0, 0.85)
    keep = name_lists().keep
    for m in _STREETS[1].finditer(text):  # clinical-word suffixes: not after clinical or common words
        words = [word.lower().strip(".") for word in m["words"].split()]
        lists = name_lists()
        plain = all(zipf(w) >= 5.0 and w not in lists.first and w not in lists.last for w in words)
        if not plain and not any(w in keep or w in STOPWORDS for w in words):
            found.append(Span(EntityType.ADDRESS, m.start(), m.end(), 0.85, "address"))
    for m in _ending_at(_ZIP_AFTER_STATE, _ZIP_CODE, text, 200):
        found.append(Span(EntityType.LOCATION, m.start("city"), m.end("city"), 0.85, "address:city"))
        found.append(Span(EntityType.LOCATION, m.start("zip"), m.end("zip"), 0.9, "address:zip"))
        # "City, ST 12345" anchors the street before it, whatever its suffix ("6829 Jessica Dam, ...")
        street = _STREET_BEFORE_CITY.search(text, max(0, m.start("city") - 80), m.start("city"))
        if street is not None:
            found.append(Span(EntityType.ADDRESS, street.start(), street.end("street"), 0.85, "address:street"))
    for m in _ADDRESS_LABEL.finditer(text):
        rest = m.group("rest")
        if not rest[:1].isdigit() and m.group().lower().lstrip().startswith(("lives", "resides")):
            continue  # "lives at home with his parents": no address without a street number
        cut = next((c for c in _ADDRESS_END.finditer(rest)  # "Jr.", "Blvd.", "N." end no sentence
                    if not (c["word"] and (c["word"].lower() in _ADDRESS_ABBREVIATIONS or len(c["word"]) <= 3))),
                   None)
        found += _address_line(rest[: cut.end("word") + 1 if cut["word"] else cut.start()] if cut else rest,
                               m.start("rest"))
    return found


def _address_line(line: str, offset: int) -> list[Span]:
    """Comma-separated parts of an address line: the first is the street, later ones city/state/zip."""
    spans: list[Span] = []
    position = 0
    for index, part in enumerate(line.split(",")):
        start = offset + position + len(part) - len(part.lstrip())
        stripped = part.strip()
        position += len(part) + 1
        if not stripped:
            continue
        m = next((m for regex in _ADDRESS_PARTS if (m := regex.match(stripped))), None)
        if index == 0:
            spans.append(Span(EntityType.ADDRESS, start, start + len(stripped), 0.9, "address:label"))
            continue
        if m is None:
            if any(ch.isdigit() for ch in stripped) and len(stripped) < 40:  # "Apt 4", "Suite 200"
                spans.append(Span(EntityType.ADDRESS, start, start + len(stripped), 0.9, "address:label"))
                continue
            break  # not a part of the address any more
        for group in ("city", "zip"):
            if group in m.re.groupindex and m.group(group):
                spans.append(Span(EntityType.LOCATION, start + m.start(group), start + m.end(group), 0.9,
                                  f"address:{group}"))
    return spans


def _not_a_name(word: str) -> bool:
    """A function word or a common verb form ("PRESENTED", "SEEN", "TO") can start no institution's name."""
    return word in STOPWORDS or word.endswith(("ed", "ing")) and zipf(word) >= 3


def institutions(text: str) -> list[Span]:
    found: list[Span] = []
    for m in _INSTITUTION.finditer(text):
        start = m.start()
        # In capitals every word looks like a name: "PRESENTED TO U OF MD MED CENTER" starts at "U".
        while (lead := _LEADING_WORD.match(text, start, m.end())) and _not_a_name(lead["word"].lower()):
            start = lead.end()
        words = text[start : m.end()].split()
        # "the Hospital", "Outside Hospital", "General Hospital" alone name no place.
        if len(words) < 2 or all(w.lower().strip(".") in _GENERIC_INSTITUTION_WORDS for w in words[:-1]):
            continue
        found.append(Span(EntityType.ORGANIZATION, start, m.end(), 0.85, "institution"))
    found += [g for g in _groups(text) if not any(f.start < g.end and g.start < f.end for f in found)]
    return found


def _groups(text: str) -> list[Span]:
    """Practices and groups ("Bell Imaging Associates", "Northside Radiology Partners", "Marsh Family
    Practice") when a word of the name is a surname, a town or a rare word, not clinical words alone
    ("Magnetic Resonance Imaging"); "<state or city> General" ("Mass General")."""
    found = []
    lists = name_lists()
    gaz = gazetteer()
    for m in _ending_at(_GROUP, _GROUP_SUFFIX, text, 240):
        words = [w.lower().strip(".'’") for w in m["words"].split()]
        if any(w in lists.last or w in gaz.single or zipf(w) < 3.0 and w not in lists.clinical for w in words
               if w not in STOPWORDS and w not in lists.keep):
            found.append(Span(EntityType.ORGANIZATION, m.start(), m.end(), 0.85, "institution:group"))
    for m in _PLACE_GENERAL.finditer(text):
        place = m["place"].lower()
        if place in _STATE_SHORT or place in gaz.single or place in gaz.multi or _STATE_FULL.fullmatch(m["place"]):
            found.append(Span(EntityType.ORGANIZATION, m.start(), m.end(), 0.85, "institution:general"))
    return found


def ages(text: str) -> list[Span]:
    if "9" not in text and "1" not in text and "inety" not in text.lower() and "hundred" not in text.lower():
        return []
    spans = []
    for m in _AGE.finditer(text):
        group = next(g for g in "abcdef" if m.group(g))
        if group == "d" and _TEMPERATURE.search(text[max(0, m.start() - 16) : m.start()]):
            continue  # "T 101F" is a temperature
        spans.append(Span(EntityType.AGE, m.start(group), m.end(group), 0.95, "age"))
    return spans


PATTERN_RECOGNIZERS: tuple[Recognizer, ...] = (
    dates, identifiers, ssns, phones, emails, ips, urls, addresses, institutions, ages, cities,
)
