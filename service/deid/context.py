"""Recognizers by position and context, whatever the words are.

- **Person fields.** The value of a labelled person field is a name whatever its words: `Req Phys:`,
  `Attending Physician:`, `Requested By:`, `Dictated By:`, `Pending review by:`, `Verifier E-Sig:/ES/`,
  `Primary Interpreting Staff:` (value on the next line), `cc:`, `Patient:`, `Name:`. Names in any
  form: `LAST,FIRST M`, `LAST, F.`, `J.E. SMITH`, with titles and credentials around them, common-word
  surnames included ("Long", "Bell", "Cross").
- **Typist initials** of a sign-off (`JS/ab`) on a line or comma-separated field of their own.
- **Destinations.** After a movement verb ("transferred to", "admitted to", "followed at", "came
  from") words that are not vocabulary (English, clinical, hospital unit abbreviations) name a place,
  and so do generic institution phrases ("Sacred Heart", "St. Agnes", "University of Maryland"); a
  rare word before a ward number ("on Quartermain 6") names a ward. In sentence-case text a word
  capitalised there is a proper noun even when it is common ("went to Harbor"), unless it looks like a
  department ("Cardiology", "Physical Therapy", "Operating Room") or a day; a lower-case word unknown
  to English ("transferred to quartermain") counts too.
- **Institution acronyms** ("GH", "GBMC", "UIHC"): capitals ending like "...Hospital", "...Medical
  Center", "...Health Center" after a locative or before a hospital unit, not clinical acronyms of
  that shape ("TSH", "LVH"), English words ("HIGH") or their typos ("WTIH").
- **Employers** after an employment cue ("works for", "employed by", "CEO of").
- **Field labels** (`Pat Loc:`, `Proc Ord:`) are never names or places; `label_ranges` finds them.
- **Protected numbers**: numbers with units (doses, measurements, rates), CPT and ICD codes, vertebral
  levels. No identifier, phone or address may swallow them (`protected_ranges`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from service.deid.lexicon import STOPWORDS, name_lists, zipf
from service.deid.spans import EntityType, Span, has_digit

_HEADS = (
    r"phys(?:ician)?s?|provider|doctor|dr|md|staff|radiologist|resident|fellow|attending|nurse|rn|technologist"
    r"|tech|verifier|reader|interpreter|patient(?:[ \t]+name)?|pt(?:[ \t]+name)?|name|cc|copies[ \t]+to|pcp"
    r"|surgeon|anesthesiologist|therapist|pharmacist|sonographer|coordinator|nurse[ \t]+practitioner|np"
    # any "<participle> by:" ("Requested By:", "Reported By:", "Released By:", "Pending review by:")
    r"|[a-z]+ed[ \t]+by|read[ \t]+by|seen[ \t]+by|pending[ \t]+review[ \t]+by"
    r"|e-?sig(?:nature)?|signature|signer|signed|author|transcriptionist|dictator"
)
# Found by the label's last word and its colon; the words before it are read back from there.
_PERSON_FIELD = re.compile(rf"(?i)(?<![\w\-])(?:{_HEADS})[ \t]*:[ \t]*(?:/ES/[ \t]*)?")
_LABEL_WORDS_BEFORE = re.compile(r"(?:[A-Za-z][\w\-]*\.?[ \t]+){0,5}$")
# "Exam name:", "Procedure name:" are no person fields.
_NAME_PREFIXES = frozenset("patient pt physician doctor provider full last first legal nurse staff".split())
_CREDENTIAL = re.compile(
    r"(?:M\.D\.|MD|D\.O\.|DO|R\.N\.|RN|NP|PA-C|PA|Ph\.?D\.?|MBBS|FRCR|FACR|DABR|CRNA|RT\(R\)|RT|CRT|RRT|LPN|CNA"
    r"|MSW|LICSW|DDS|DMD|DPM|PharmD)(?![A-Za-z])",
    re.IGNORECASE,
)
_ROLE_AFTER = frozenset(
    """staff radiologist chief attending resident fellow physician provider verifier interpreter reader
    technologist nurse director professor assistant associate consultant surgeon""".split()
)
# Words that end a name value ("Will", "May" are first names, so not all stopwords do).
_FUNCTION_WORDS = STOPWORDS - frozenset("will may".split())
_TITLE = re.compile(r"(?i:dr|drs|doctor|mr|mrs|ms|miss|mx|prof)\.?[ \t]+")
_VALUE_WORD = re.compile(r"(?:[A-Za-z]\.){2,3}|[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*\.?")
_TYPIST = re.compile(r"(?m)(?:^|(?<=\s)|(?<=,))[ \t]*(?P<a>[A-Z]{2,3})/(?P<b>[a-z]{2,3})(?=[ \t]*(?:$|,|\n|\d|[A-Z]:))")
_MOVEMENT = re.compile(
    r"(?i)\b(?:transfer(?:red|ring|s)?|transfered|tranfer(?:r?ed)?|trasferred|trans|xfer(?:red|d)?|admitted"
    r"|readmitted|taken|sent|went|go|goes|gone|going|recieved|received"
    r"|come|came|coming|referred|accepted|excepted|followed|d/c'?d|dc'?d|discharged|returned|returning|moved"
    r"|flown|arrived|seen|hospitalized|treated)[ \t]+(?:back[ \t]+)?(?:to|at|from|in|into|@|by)[ \t]+"
    r"(?:the[ \t]+)?"
)
_COMMON_WORD = 3.5  # zipf: a word this common names no place by itself
# ... unless sentence-case text capitalises it after a movement verb ("went to Harbor"): a proper noun,
# if not a department ("sent to Cardiology", "taken to Surgery", "seen in Pediatrics").
_NAMED_WORD = 5.0
_DEPARTMENT = re.compile(r"(?:olog(?:y|ist)|iatrics?|pedics?|ics|ery|icine|ation|apy|ing)$")
_EMPLOYMENT = re.compile(
    r"(?i)\b(?:works?|worked|working|employed|employee|retired|ceo|owner|president|vice[ \t]+president)"
    r"[ \t]+(?:for|at|by|of|from|with)[ \t]+(?:the[ \t]+)?"
)
_CALENDAR = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
    today tonight tomorrow yesterday morning evening night noon midnight am pm week weeks day days year years
    month months hour hours time times""".split()
)
_HOSPITAL_AREA = re.compile(r"(?i)[ \t]+(?:care[ \t]+)?(?:unit|room|ward|department|service|suite|bay|recovery)\b")
# Institutions named by a generic phrase ("Sacred Heart", "Holy Cross", "St. Agnes", "University of
# Maryland"): places after a movement verb, whatever the case of the note.
_CHARITY_NAME = r"sacred[ \t]+heart|holy[ \t]+(?:cross|family|name|redeemer|spirit|trinity)|good[ \t]+sam(?:aritan)?\b"
_PLACE_KIND = r"(?:[ \t]+(?:hospital|medical(?:[ \t]+center)?|memorial|center|rehab))?"
_NAMED_PLACE = re.compile(
    rf"(?i:{_CHARITY_NAME}|(?:st\.?|saint|mount|mt\.?)[ \t]+[^\W\d_]+(?:'s)?"
    rf"|university[ \t]+of[ \t]+[^\W\d_]+(?:[ \t]+[^\W\d_]+)?){_PLACE_KIND}",
    re.IGNORECASE,
)
_CHARITY = re.compile(rf"\b(?:{_CHARITY_NAME})\b{_PLACE_KIND}", re.IGNORECASE)
# A ward or unit with its number ("on Quartermain 6", "to QUARTERMAIN 2"): a rare word before it.
_WARD = re.compile(
    r"(?i)\b(?:on|to|from|at|per|transfer(?:red)?|@)[ \t]+(?P<ward>[^\W\d_]{4,})[ \t]*\d{1,2}(?![\d:/.,]\d)\b"
)
_PLACE_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
# Hospital units and departments: where a patient goes, never a named place.
_UNITS = frozenset(
    """icu micu sicu ccu cvicu ctu cticu nicu picu ticu nsicu ficu csru cvu er ed or pacu ct mri mr ir us xr hd pt ot
    snf ltac ltach osh ltc icn ldr rehab floor unit ward home clinic cath lab ep gi pacu sdu tcu imc ssu cdu obs
    echo nm pet ekg ecg eeg emg dialysis radiology surgery medicine telemetry tele hospice""".split()
)
# Generic places ("OH": outside hospital, "NH": nursing home) and ventilator modes ("weaned to CPAP 5"),
# which a ward-with-number reading would take for a ward. Not units for typist initials ("NH/ab").
_NOT_PLACES = frozenset("oh nh cpap bipap simv psv prvc imv aprv vent".split())


def _is_unit(lower: str) -> bool:
    """A hospital unit, department, generic place or ventilator mode (any "...icu"/"...ccu": "vicu")."""
    return lower in _UNITS or lower in _NOT_PLACES or lower.endswith(("icu", "ccu"))
# An institution named by its acronym ("GH", "GBMC", "UIHC"): capitals ending like "...Hospital",
# "...Medical Center", "...Health Center", where a place stands: after a locative ("at GH", "LEAVE GH",
# "from the GBMC") or before a hospital unit ("GH cath lab"). Clinical acronyms of that shape are none.
_ACRONYM = re.compile(r"(?<![\w/\-])(?:[A-Z]{1,4}(?:H|MC|HC)|[a-z]{1,2}h)(?![\w/\-])")
_ACRONYM_PLACE_BEFORE = re.compile(r"(?i)\b(?:at|to|from|in|into|leave|left|@)[ \t]+(?:the[ \t]+)?$")
_CLINICAL_ACRONYMS = frozenset(
    """acth adh siadh bph cah edh sdh sah ich ivh iph lvh rvh lah rah pah pph pih nph fsh lh tsh trh gnrh crh
    ghrh pth ldh hh ph dh rh mch mchc hch ahh abh ugh uh ah eh oh nh trach synch psych""".split()
)
_UNIT = (
    r"(?:mg|mcg|µg|ug|g|gm|gms|kg|lb|lbs|oz|ml|mL|cc|L|l|dL|dl|cm|mm|m|in|inch|inches|ft|%|units?|IU|mEq|meq|mmol"
    r"|mmHg|mm\s?Hg|bpm|°C|°F|degrees|mg/dL|mg/dl|mg/kg|mcg/kg|g/dL|mL/hr|ml/hr|cc/hr|L/min|liters?|mcg/min"
    r"|hours?|hrs?|minutes?|mins?|days?|weeks?|tablets?|tabs?|puffs?|drops?|French|Fr|gauge|joules|J|mA|kV|mSv"
    r"|Gy|cGy|mGy|sec|seconds?|mL/min|mls?|cmH2O|cm\s?H2O|breaths?)"
)
_PROTECTED = re.compile(
    rf"(?<![\w.:])\d+(?:[.,]\d+)?(?:/\d+(?:\.\d+)?)?(?:[ \t]?(?:-|to|x)[ \t]?\d+(?:\.\d+)?)?[ \t]?{_UNIT}(?![\w/])"
    r"|(?i:\b(?:cpt|icd(?:-?9|-?10)?(?:-cm)?)(?:[ \t]+code)?[ \t]*[:#]?[ \t]*)[A-Z]?\d[\dA-Z]*(?:\.[\dA-Z]+)?"
    r"|\b[CTLS]\d{1,2}(?:-[CTLS]?\d{1,2})?\b"
    # temperatures: a plausible value before C or F ("37.2 C", "101F"; not "6/12 C AMI", where c means "with")
    r"|(?<![\w./:])(?:3\d|4[0-4]|9\d|10\d|11[0-2])(?:\.\d{1,2})?[ \t]?[CF]\b"
)
# "Apt 20C", "Room 5F", "#12 ft" are addresses and numbers, not temperatures or lengths.
_UNIT_NUMBER_BEFORE = re.compile(r"(?i)(?:\b(?:apt|ste|rm|bldg|unit|room|suite|floor|fl)\.?|#)[ \t]*$")
_LABEL = re.compile(
    # (The label right after two blanks, not after a blank skipped inside a run: linear in long runs of blanks.)
    r"(?m)(?:(?:(?:^|(?<=[,;|(]))[ \t]*|(?<=[ \t]{2}))"
    r"(?P<label>[A-Za-z][A-Za-z\-/&.']*(?:[ \t][A-Za-z][A-Za-z\-/&.']*){0,3})"
    r"|(?<=\s)(?P<inline>[A-Z][A-Za-z\-/&.']*(?:[ \t][A-Z][A-Za-z\-/&.']*){0,2}))"
    r"[ \t]*:(?!\d)"
)


def label_ranges(text: str) -> list[tuple[int, int]]:
    """(start, end) of field labels: up to four words before a colon at a line start, after two
    spaces or after a separator; up to three capitalised words before a colon anywhere else (a
    flattened export)."""
    if ":" not in text:
        return []
    return [m.span("label") if m["label"] else m.span("inline") for m in _LABEL.finditer(text)]


def protected_ranges(text: str) -> list[tuple[int, int]]:
    """Numbers with units, CPT/ICD codes and vertebral levels: clinical content no span may touch."""
    if not has_digit(text):
        return []
    return [m.span() for m in _PROTECTED.finditer(text)
            if not _UNIT_NUMBER_BEFORE.search(text, max(0, m.start() - 8), m.start())]


def person_fields(text: str) -> list[Span]:
    """Names in the value of a labelled person field."""
    if ":" not in text:
        return []
    spans: list[Span] = []
    for m in _PERSON_FIELD.finditer(text):
        before = _LABEL_WORDS_BEFORE.search(text, max(0, m.start() - 80), m.start())
        label = (before.group() if before else "") + text[m.start() : m.end()].split(":")[0]
        words = label.lower().split()
        if words[-1] == "name" and len(words) > 1 and words[-2] not in _NAME_PREFIXES:
            continue
        position = m.end()
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        if not text[position:line_end].strip():  # "Primary Interpreting Staff:" then the name on the next line
            nxt = text.find("\n", line_end + 1)
            position = line_end + 1
            line_end = len(text) if nxt < 0 else nxt
        while position < line_end:
            span, position = _field_value(text, position, line_end)
            if span is not None:
                spans.append(span)
            rest = re.match(r"[ \t]*(?:;|&|and\b)[ \t]*", text[position:line_end])
            if rest is None:
                break
            position += rest.end()
    return spans


def _field_value(text: str, position: int, end: int) -> tuple[Span | None, int]:
    """The name starting at `position` (titles skipped), and where it ends."""
    while position < end and text[position] in " \t,":  # "Staff:, BOB E STRONG" in a flattened export
        position += 1
    title = _TITLE.match(text, position, end)
    if title:
        position = title.end()
    while position < end and text[position] in " \t":
        position += 1
    first = last = -1
    words = 0
    commas = 0
    p = position
    while p < end and words < 6:
        if _CREDENTIAL.match(text, p, end) and words:
            break
        m = _VALUE_WORD.match(text, p, end)
        if m is None:
            break
        word = m.group().rstrip(".")
        lower = word.lower()
        initial = len(word) == 1 and word.isupper()
        if not initial and (lower in _FUNCTION_WORDS or lower in _ROLE_AFTER) \
                or not word[0].isupper() and not text[position:end].islower():
            break
        after = m.end()
        if after < end and text[after] == ":":
            break  # the next field's label
        if first < 0:
            first = p
        last = p + len(word)
        words += 1
        gap = re.match(r"[ \t]?,[ \t]?|[ \t]", text[after:end])
        if gap is None:
            p = after
            break
        if "," in gap.group():
            commas += 1
            if commas > 1 or _CREDENTIAL.match(text, after + gap.end(), end) or \
                    _ROLE_AFTER.intersection(text[after + gap.end() : end].lower().split()[:1]):
                p = after
                break
        p = after + gap.end()
    if first < 0:
        return None, max(p, position + 1)
    return Span(EntityType.PERSON, first, last, 0.95, "names:field"), p


def typist_initials(text: str) -> list[Span]:
    """`JS/ab` on a sign-off line: the dictator's and the typist's initials."""
    if "/" not in text:
        return []
    spans = []
    for m in _TYPIST.finditer(text):
        if m["b"] in _UNITS or m["a"].lower() in _UNITS:
            continue
        spans.append(Span(EntityType.PERSON, m.start("a"), m.end("a"), 0.85, "names:initials"))
        spans.append(Span(EntityType.PERSON, m.start("b"), m.end("b"), 0.85, "names:initials"))
    return spans


def institution_acronyms(text: str) -> list[Span]:
    """Hospitals named by an acronym in a place's position (see _ACRONYM); lower case ("at gh") only
    right after a locative."""
    spans = []
    for m in _ACRONYM.finditer(text):
        word = m.group()
        lower = word.lower()
        if lower in _CLINICAL_ACRONYMS or _is_unit(lower) or zipf(lower) >= 3.5 or _typo_of_word(lower):
            continue  # "TSH", "NH" (nursing home), "HIGH", "COUGH", "WTIH"
        after_locative = _ACRONYM_PLACE_BEFORE.search(text, max(0, m.start() - 12), m.start()) is not None
        unit_after = (w := _PLACE_WORD.match(text, m.end() + 1)) is not None and text[m.end()] == " " \
            and _is_unit(w.group().lower())
        if after_locative or unit_after and word.isupper():
            spans.append(Span(EntityType.ORGANIZATION, m.start(), m.end(), 0.8, "place:acronym"))
    return spans


def employers(text: str, cased: bool) -> list[Span]:
    """An employer after an employment cue ("works for Acme Health", "CEO OF ZORBAX", "employed by
    Genentech"): up to three words, capitalised in sentence-case text, none a function word or unit."""
    lists = name_lists()
    spans = []

    def judge(word: str, lower: str) -> bool | None:  # a word of the employer's name, or the end of it
        return not (lower in STOPWORDS or lower in _CALENDAR or _is_unit(lower) or len(word) < 2
                    or cased and not word[0].isupper() or lower in lists.clinical or lower in lists.keep)

    for m in _EMPLOYMENT.finditer(text):
        run = _words_after(text, m.end(), judge)
        if run is not None:
            spans.append(Span(EntityType.ORGANIZATION, *run, 0.75, "place:employer"))
    return spans


def _words_after(text: str, position: int, judge: Callable[[str, str], bool | None]) -> tuple[int, int] | None:
    """(start, end) of the run of up to three single-spaced words from `position` that `judge(word,
    lower)` takes (True); a word it stops at (False) ends the run, one it voids (None) voids the whole
    run ("sent to Physical Therapy"). None when no word was taken."""
    first = last = -1
    for _ in range(3):
        w = _PLACE_WORD.match(text, position)
        if w is None:
            break
        word = w.group().rstrip("'’-")
        verdict = judge(word, word.lower())
        if verdict is None:
            return None
        if not verdict:
            break
        first = w.start() if first < 0 else first
        last = w.start() + len(word)
        position = w.end()
        if not text.startswith(" ", position):
            break
        position += 1
    return (first, last) if first >= 0 else None


def _typo_of_word(lower: str) -> bool:
    """Is the word a common English word with two neighbouring letters swapped ("wtih", "teh")?"""
    return any(zipf(lower[:k] + lower[k + 1] + lower[k] + lower[k + 2 :]) >= 4.0 for k in range(len(lower) - 1))


def destinations(text: str, cased: bool) -> list[Span]:
    """Places after a movement verb ("transferred to Quartermain", "followed at GH")."""
    lists = name_lists()
    spans = []
    for m in _WARD.finditer(text):
        lower = m["ward"].lower()
        if not lists.vocabulary(lower) and not _is_unit(lower) and zipf(lower) < 3.0:
            spans.append(Span(EntityType.LOCATION, m.start("ward"), m.end("ward"), 0.8, "place:ward"))
    for m in _CHARITY.finditer(text):  # "Sacred Heart", "Holy Cross": named places wherever they stand
        spans.append(Span(EntityType.ORGANIZATION, m.start(), m.end(), 0.8, "place:named"))

    def judge(word: str, lower: str) -> bool | None:
        if _is_unit(lower) or _DEPARTMENT.search(lower):
            return None  # "sent to Physical Therapy": no named place
        if lower in _CALENDAR:  # "came in Friday", "go to Harbor tonight"
            return False
        proper = cased and word.istitle()  # sentence case capitalises a proper noun
        unknown = len(lower) > 4 and zipf(lower) < 2.0  # "transferred to quartermain" in sentence case
        return not (lower in STOPWORDS or len(word) < 2 or cased and not word[0].isupper() and not unknown
                    or _TITLE.match(word + " ")
                    or lower in lists.keep or lower in lists.clinical or lower in lists.english and not proper
                    or (len(word) > 3 or not word.isupper())
                    and zipf(lower) >= (_NAMED_WORD if proper else _COMMON_WORD))

    for m in _MOVEMENT.finditer(text):
        named = _NAMED_PLACE.match(text, m.end())
        if named is not None:
            spans.append(Span(EntityType.ORGANIZATION, named.start(), named.end(), 0.8, "place:named"))
            continue
        run = _words_after(text, m.end(), judge)
        if run is not None and not _HOSPITAL_AREA.match(text, run[1]):  # "Postanesthesia Care Unit"
            spans.append(Span(EntityType.LOCATION, *run, 0.8, "place:destination"))
    return spans
