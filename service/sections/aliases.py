"""The names of headers in chest X-ray reports, and the kind each one names.

Every header maps to a *kind*:

- one of the four section names (``indication``, ``comparison``, ``findings``,
  ``impression``): the text after the header is that section;
- ``OTHER``: a known section that is not one of the four (TECHNIQUE, EXAM, VIEWS,
  DATE, ...). Its text is excluded, but the header still ends the section before it;
- ``CONTINUATION``: RECOMMENDATION(S) / NOTIFICATION. Radiology datasets usually
  count recommendations as part of the impression; see ``rules`` for how they attach;
- ``ADDENDUM``: excluded like ``OTHER``, but lowers the confidence (an addendum may
  amend the impression);
- ``SIGNATURE``: attestation lines ("Radiologist:", "Dictated by ...", ...). Their text
  belongs to no section;
- ``fields.FIELD`` / ``fields.STAFF``: administrative ``Label: value`` lines.

Also here: the words that are headers after a word only in some cases (``GENERIC``,
``SHORT_LABELS``, ``AFTER_WORD_TITLE``), signature phrases, the section nouns of the label
grammar, and the one-edit misspellings of the section words (``MISSPELLINGS``).
"""

from __future__ import annotations

import string
from typing import Final

from service.sections.fields import ADMIN_WORDS

OTHER: Final = "other"
CONTINUATION: Final = "continuation"
ADDENDUM: Final = "addendum"
SIGNATURE: Final = "signature"
SECTION_KINDS: Final = ("indication", "comparison", "findings", "impression")

# fmt: off
FAMILIES: Final[dict[str, tuple[str, ...]]] = {
    "indication": (
        "INDICATION", "INDICATIONS", "CLINICAL INDICATION", "CLINICAL INDICATIONS",
        "HISTORY", "CLINICAL HISTORY", "PATIENT HISTORY", "MEDICAL HISTORY",
        "BRIEF HISTORY", "HX", "REASON FOR EXAM", "REASON FOR EXAMINATION",
        "REASON FOR STUDY", "REASON FOR REQUEST", "REASON FOR REFERRAL",
        "REASON FOR THE EXAM", "REASON FOR THE EXAMINATION", "REASON FOR THE STUDY",
        "REASON", "CLINICAL INFORMATION", "CLINICAL INFO", "CLINICAL DATA",
        "CLINICAL DETAILS", "CLINICAL NOTES", "CLINICAL QUESTION", "CLINICAL STATEMENT",
        "CLINICAL", "PRESENTING COMPLAINT", "CHIEF COMPLAINT", "SYMPTOMS", "IND", "INDIC", "HIST",
        "CLIN HX", "CLINICAL HX", "HPI",
    ),
    "comparison": (
        "COMPARISON", "COMPARISONS", "COMPARISON STUDY", "COMPARISON STUDIES",
        "COMPARISON EXAM", "COMPARISON EXAMS", "COMPARISON EXAMINATION",
        "COMPARISON EXAMINATIONS", "COMPARISON FILM", "COMPARISON FILMS",
        "COMPARISON IMAGES", "COMPARED WITH", "COMPARED TO", "PRIOR", "PRIORS",
        "PRIOR STUDY", "PRIOR STUDIES", "PRIOR EXAM", "PRIOR EXAMS", "PRIOR EXAMINATION",
        "PRIOR EXAMINATIONS", "PRIOR IMAGING", "PRIOR FILMS", "PRIOR RADIOGRAPHS",
        "PREVIOUS", "PREVIOUS STUDY", "PREVIOUS STUDIES", "PREVIOUS EXAM",
        "PREVIOUS EXAMS", "PREVIOUS IMAGING", "COMP", "COMPS", "COMPAR",
    ),
    "findings": (
        "FINDINGS", "FINDING", "REPORT", "DESCRIPTION", "OBSERVATIONS", "OBSERVATION",
        "RESULTS", "RESULT", "DISCUSSION", "DETAILS", "REPORT TEXT", "BODY",
        "RADIOGRAPHIC FINDINGS", "IMAGING FINDINGS", "CHEST FINDINGS", "FIND", "FINDS", "FNDGS",
    ),
    "impression": (
        "IMPRESSION", "IMPRESSIONS", "FINAL IMPRESSION", "CONCLUSION", "CONCLUSIONS",
        "OPINION", "SUMMARY", "ASSESSMENT", "DIAGNOSIS", "DIAGNOSES", "INTERPRETATION",
        "RADIOLOGIC IMPRESSION", "RADIOLOGICAL IMPRESSION", "FINAL DIAGNOSIS", "IMP", "IMPR",
        "IMPRESS", "CONCL",
    ),
    OTHER: (
        "TECHNIQUE", "TECHNIQUES", "PROTOCOL", "EXAM", "EXAMINATION", "EXAMS",
        "PROCEDURE", "STUDY", "STUDIES", "TYPE OF EXAM", "TYPE OF EXAMINATION",
        "TYPE OF STUDY", "EXAM TYPE", "STUDY TYPE", "EXAM DESCRIPTION", "EXAM NAME",
        "PROCEDURE NAME", "VIEWS", "VIEW", "NUMBER OF VIEWS", "DATE", "TIME",
        "EXAM DATE", "STUDY DATE", "DATE OF EXAM", "DATE OF EXAMINATION", "DATE OF STUDY",
        "DATE OF SERVICE", "DATE OF PROCEDURE", "ACCESSION", "ACCESSION NUMBER",
        "ORDERING PHYSICIAN", "REFERRING PHYSICIAN", "ORDERED BY", "REFERRED BY",
        "CONTRAST", "DOSE", "RADIATION DOSE", "FLUOROSCOPY TIME", "FINAL REPORT",
        "WET READ", "PRELIMINARY REPORT",
    ),
    CONTINUATION: (
        "RECOMMENDATION", "RECOMMENDATIONS", "FOLLOW-UP RECOMMENDATION",
        "FOLLOW-UP RECOMMENDATIONS", "NOTIFICATION", "COMMUNICATION",
    ),
    ADDENDUM: ("ADDENDUM", "ADDENDA", "ADDENDUM REPORT", "AMENDED REPORT"),
    SIGNATURE: (
        "RADIOLOGIST", "ATTENDING RADIOLOGIST", "READING RADIOLOGIST", "ATTENDING",
        "RESIDENT", "DICTATED", "DICTATED BY", "TRANSCRIBED", "TRANSCRIBED BY",
        "SIGNED", "SIGNED BY", "ELECTRONICALLY SIGNED", "ELECTRONICALLY SIGNED BY",
        "WORKSTATION", "TRANSCRIPTIONIST", "VERIFIED BY", "APPROVED BY", "READ BY",
    ),
}

ALIASES: Final[dict[str, str]] = {
    alias: kind for kind, aliases in FAMILIES.items() for alias in aliases
}
"""Upper-case alias (single spaces) -> kind."""

GENERIC: Final = frozenset({
    "REPORT", "PRIOR", "PRIORS", "PREVIOUS", "RESULT", "RESULTS", "DETAILS", "BODY", "DESCRIPTION",
    "DISCUSSION", "OBSERVATION", "OBSERVATIONS", "CLINICAL", "REASON", "SYMPTOMS", "SUMMARY", "OPINION",
    "ASSESSMENT", "DIAGNOSIS", "DIAGNOSES", "INTERPRETATION", "COMPARED WITH", "COMPARED TO", "DATE",
    "TIME", "STUDY", "STUDIES", "EXAM", "EXAMS", "EXAMINATION", "PROCEDURE", "VIEW", "VIEWS", "DOSE",
    "CONTRAST", "PROTOCOL", "SIGNED", "ATTENDING", "RESIDENT", "DICTATED", "TRANSCRIBED", "IND",
    "INDIC", "HIST", "COMP", "COMPS", "COMPAR", "FIND", "FINDS", "IMP", "IMPR", "IMPRESS", "CONCL",
    "FINDING", "HX", "HPI", "FNDGS",
})
"""Aliases that also end ordinary phrases ("see prior report:"): not a header after a word,
and in lower case not after a comma or full stop either."""

SHORT_LABELS: Final = frozenset({
    "PRIOR", "PRIORS", "PREVIOUS", "IMP", "IMPR", "IMPRESS", "COMP", "COMPS", "COMPAR", "HX", "HPI", "IND",
    "INDIC", "HIST", "FIND", "FINDS", "FINDING", "FNDGS", "REASON", "CONCL",
})
"""Short and generic labels of the four sections that, capitalised and before ":", head a section even
after a capitalised word ("Dyspnea Prior: None", "SOB Imp: Normal")."""

AFTER_WORD_TITLE: Final = frozenset({
    "INDICATION", "INDICATIONS", "CLINICAL INDICATION", "CLINICAL INDICATIONS", "CLINICAL HISTORY",
    "REASON FOR EXAM", "REASON FOR EXAMINATION", "REASON FOR STUDY", "CLINICAL INFORMATION",
    "COMPARISON", "COMPARISONS", "FINDINGS", "IMPRESSION", "IMPRESSIONS", "CONCLUSION",
    "CONCLUSIONS", "TECHNIQUE", "RECOMMENDATION", "RECOMMENDATIONS", "ADDENDUM",
})
"""Aliases accepted after a word in Title case ("Seizure Comparison: None")."""

SUBHEADINGS: Final = frozenset({
    "LUNGS", "LUNG", "LUNG FIELDS", "HEART", "HEART SIZE", "CARDIAC", "CARDIOMEDIASTINAL",
    "CARDIOMEDIASTINAL SILHOUETTE", "MEDIASTINUM", "HILA", "PLEURA", "PLEURAL SPACE",
    "PLEURAL SPACES", "BONES", "OSSEOUS STRUCTURES", "SOFT TISSUES", "LINES", "TUBES",
    "LINES AND TUBES", "LINES/TUBES", "TUBES/LINES", "SUPPORT DEVICES", "DEVICES",
    "HARDWARE", "AIRWAYS", "AIRWAY", "ABDOMEN", "UPPER ABDOMEN", "DIAPHRAGM", "AORTA",
    "VASCULATURE", "CHEST WALL", "NECK", "OTHER", "NOTE", "CHEST", "THORAX",
})
"""Capitalised labels that subdivide a section (mostly findings) and are no header."""

SIGNATURE_PHRASES: Final = (
    "electronically signed", "electronically reviewed and signed", "e-signed",
    "digitally signed", "signed by", "dictated by", "transcribed by", "reviewed by",
    "verified by", "approved by", "read by", "interpreted by", "reported by",
    "report signed", "report electronically signed",
    "this report was electronically signed", "this report has been electronically signed",
    "i have personally reviewed", "i personally reviewed", "i have reviewed the images",
    "i reviewed the images", "attending attestation", "radiologist attestation",
)

# fmt: on


HEAD_NOUNS: Final[dict[str, str]] = {
    "HISTORY": "indication", "INDICATION": "indication", "INDICATIONS": "indication",
    "COMPARISON": "comparison", "COMPARISONS": "comparison", "FINDINGS": "findings",
    "IMPRESSION": "impression", "IMPRESSIONS": "impression", "CONCLUSION": "impression",
    "CONCLUSIONS": "impression",
}
"""Last words that make a label at a line start a section header ("PAST MEDICAL HISTORY")."""

SPELLED: Final = (
    "INDICATION", "INDICATIONS", "HISTORY", "CLINICAL", "COMPARISON", "COMPARISONS", "FINDINGS",
    "IMPRESSION", "IMPRESSIONS", "CONCLUSION", "CONCLUSIONS", "TECHNIQUE", "RECOMMENDATION",
    "RECOMMENDATIONS", "EXAMINATION",
)
"""Words whose one-edit misspellings are recognised."""


def _one_edit(word: str) -> set[str]:
    letters = string.ascii_uppercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in letters}
        | {a + c + b for a, b in splits for c in letters}
    )


KNOWN_WORDS: Final = frozenset(word for alias in ALIASES for word in alias.split()) | frozenset(HEAD_NOUNS)
MISSPELLINGS: Final[dict[str, str]] = {
    variant: word
    for word in SPELLED
    for variant in _one_edit(word)
    if variant not in KNOWN_WORDS and variant.lower() not in ADMIN_WORDS
}
"""Upper-case misspelling -> the alias word it stands for."""
