"""How a word is used, whatever it is: an eponym naming a thing, a noun governed by an article, and
whether a text's capitals mean anything.

- **Eponyms by rule**: a capitalised word before a clinical head noun ("Babinski sign", "Graves
  disease", "Hill-Sachs lesion", "Allis clamp", "Judkins catheter", "Gleason 6") or after "<anatomy>
  of" ("circle of Willis") names a sign, disease, instrument or structure, not a person in the
  report, unless context says so ("Dr. Foley").
- **Nouns**: a word governed by an article or a number ("the bipolar Bovie", "a #15 Bard-Parker
  scalpel") names a thing.
- **Sentence case**: in ordinary sentence-case text a lower-case word is no name without a cue;
  all-capitals and all-lower-case notes give capitalisation no meaning.
"""

from __future__ import annotations

import re

# Words between an article and a name that say the name is a person's ("the patient Smith").
_PERSON_WORDS = frozenset(
    "physician provider doctor clinician radiologist surgeon hospitalist nurse practitioner technologist "
    "resident fellow attending assistant team staff patient pt mr mrs ms dr".split()
)

_EPONYM_HEAD = re.compile(
    # Possessive blanks (each is followed by a non-blank) and at most four hyphenated parts ("Hill-Sachs"):
    # linear in a long run of blanks or a long hyphenated token.
    r"(?:'s|’s|s')?(?:[ \t]*+-[ \t]*+[^\W\d_]++){0,4}(?:[ \t]++[a-z]++)?[ \t]++(?:[A-Z]-)?"
    r"(?:\d{1,2}(?:[+/]\d{1,2})?\b(?![/.:]\d)|(?i:signs?|syndromes?|diseases?|lesions?|tests?|fractures?"
    r"|valves?|tears?|lines?|nodes?|nodules?|reflex(?:es)?|maneuvers?|manoeuvres?|catheters?|protocols?"
    r"|classifications?|scores?|scales?|criteria|procedures?|operations?|repairs?|incisions?|clamps?|forceps"
    r"|retractors?|scissors|stand|needles?|elevators?|drains?|tubes?|stents?|shunts?|view|positions?|phenomenon"
    r"|palsy|cysts?|ulcers?|hernias?|deformity|bodies|body|cells?|tumou?rs?|sarcomas?|lymphomas?|law|ligaments?"
    r"|triad|pouch|space|rings?|diverticulum|canal|ducts?|foramen|fossa|angle|technique|method|approach"
    r"|cautery|electrocautery|stitch|sutures?|knots?|pads?|dressings?|blades?|burr?s?|drills?|rongeurs?"
    r"|curettes?|dilators?|speculum|cannulas?|sheaths?|wires?|pins?|nails?|plates?|screws?|fixators?|braces?"
    r"|splints?|casts?|boots?|frame|table|apparatus|devices?|pumps?|filters?|balloons?|bags?|masks?"
    r"|anastomosis|fundoplication|dissection|resection|sphincter|membranes?|glands?|organs?|capsule|fascia"
    r"|artery|vein|nerves?|muscles?|tendons?|bursa|joints?|area|zone|points?|triangle|effect|rule|stain"
    r"|staining|reaction|solution|grade|grading|stage|staging|type|anomaly|malformation|strips?|tape|gauze"
    r"|spots?|sounds?|murmur|pulses?|breathing|respiration|gait|posture|esophagus|appendix|fistula|flap"
    r"|mole|nevus|hygroma|aneurysm|ratio|index|equation|formula|tongs|bars?|grommets?|dissectors?|spatula|silk"
    r"|sleeve|tenaculum|osteotomes?|mouthgag|gag|awl|trocars?|scalpels?|knife|electrodes?|net|components?"
    r"|resectoscope|guides?|stockings?|arch|hooks?|probes?|loupes?|rods?|spreaders?|osteotomy|stapler|graft"
    r"|implant|prosthesis|cup|stem|liner|lens|mesh|port|system|kit|chair|splint|dissection|exercises?"
    r"|diet|flow|grade|criteria|method|incision|technique|position|fashion|procedure|type|pressures?|circulation"
    r"|physiology|shunts?|completion|conduit|pouch|loop|tourniquet|bandage|wrap|dressings?)\b)"
)
_EPONYM_OF = re.compile(
    r"(?i:circle|ligament|pouch|ampulla|canal|sphincter|space|foramen|angle|triangle|organs?|islets?|loops?|duct"
    r"|node|crypts?|columns?|bundle|tract|nucleus|area|plexus|antrum|folds?|crest|sinus|line|tubercle|valve"
    r"|aqueduct|glands?|cells?|capsule|membrane|fascia|canals?|bursa|spaces?)[ \t]+of[ \t]+$"
)


def eponym(text: str, start: int, end: int) -> bool:
    """Is text[start:end] an eponym by its neighbours: a clinical head noun after it, or "<anatomy> of"
    before it?"""
    return _EPONYM_HEAD.match(text, end) is not None or _EPONYM_OF.search(text, max(0, start - 24), start) is not None


_DETERMINED = re.compile(
    r"(?:^|[\s(,;:])(?:a|an|the|this|that|these|those|each|another|both|two|three|#?\d+(?:[.,/]\d+)?(?:-\w+)?)"
    r"(?P<between>(?:[ \t]+(?:#?\d[\w.\-/]*|[a-z][a-z\-]*)){0,2})[ \t]+$",
    re.IGNORECASE,
)


def used_as_noun(text: str, start: int) -> bool:
    """Does an article or a number govern the word at `start` ("the bipolar Bovie", "a Kitner", "a #15
    Bard-Parker scalpel", "20 mm extracardiac Fontan")? Then it names a thing, not a person."""
    m = _DETERMINED.search(text, max(0, start - 40), start)
    if m is None:
        return False
    return not any(w.lower() in _PERSON_WORDS for w in m["between"].split())


def is_cased(text: str) -> bool:
    """Does the text use ordinary sentence case (then a lower-case word is no name without a cue)?
    All-capitals and all-lower-case notes give capitalisation no meaning."""
    words = [w for w in re.findall(r"[^\W\d_]{3,}", text[:4000])]
    if len(words) < 6:
        return False
    lower = sum(w.islower() for w in words)
    title = sum(w[0].isupper() and not w.isupper() for w in words)
    return lower >= 0.3 * len(words) and title >= 0.03 * len(words)


