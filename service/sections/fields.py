"""Field lines of report exports ("Exam date: ...", "Report Status: Verified", "CPT: 71046").

A field line is a ``Label: value`` line whose label is built from the vocabulary of administrative
words below (dates, statuses, codes, identifiers, roles, places), in any combination: "Date
Verified", "Verifier E-Sig", "Primary Diagnostic Code", "Exam Code", "Interpreting Radiologist",
"Report Verified By". It is not a section: it ends the section before it and belongs to none.

Labels that name a person who signs or reads the report (staff, radiologist, verifier, e-signature)
start a *staff block*: like a signature, everything up to the next header belongs to no section.
Every other field ends at the end of its line (or, when the label stands alone on its line, at
the end of the next line).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

FIELD: Final = "field"
STAFF: Final = "staff"

# fmt: off
ADMIN_WORDS: Final = frozenset({
    # when and what state
    "date", "dates", "time", "times", "dt", "status", "state", "priority", "stat", "urgency",
    "reported", "report", "verified", "verification", "dictated", "dictation", "transcribed",
    "transcription", "signed", "approved", "approval", "authenticated", "authentication",
    "finalized", "final", "preliminary", "prelim", "printed", "created", "received", "performed",
    "completed", "scheduled", "requested", "ordered", "ordering", "order", "orders", "entered",
    "amended", "modified", "released", "result", "results", "resulted", "collected", "arrival",
    # codes and identifiers
    "code", "codes", "cpt", "icd", "icd-9", "icd-10", "icd9", "icd10", "snomed", "loinc", "hcpcs",
    "diagnostic", "number", "num", "no", "nbr", "#", "id", "identifier", "accession", "acc",
    "requisition", "req", "mrn", "dob", "ssn", "fin", "csn", "account", "acct", "case", "visit",
    "encounter", "episode", "admission", "admit", "series", "modality", "procedure", "proc", "exam",
    "examination", "study", "primary", "secondary", "tertiary", "additional", "other", "billing",
    # people and places
    "patient", "pt", "name", "sex", "gender", "age", "birth", "physician", "physicians", "provider",
    "providers", "doctor", "dr", "md", "referring", "referred", "requesting", "requester", "attending",
    "consulting", "copy", "copies", "cc", "to", "by", "of", "location", "loc", "department", "dept",
    "facility", "site", "ward", "room", "bed", "unit", "service", "clinic", "hospital", "institution",
    "img", "imaging", "pat", "phys", "technologist", "tech", "technician", "staff", "radiologist",
    "radiologists", "resident", "fellow", "interpreting", "interpreted", "interpreter", "reading",
    "read", "reader", "verifier", "e-sig", "esig", "e-signature", "signature", "sig", "signer",
})
"""Lower-case words a field label is made of; a label must use only these."""

STAFF_WORDS: Final = frozenset({
    "staff", "radiologist", "radiologists", "resident", "fellow", "interpreting", "interpreter",
    "verifier", "e-sig", "esig", "e-signature", "signature", "sig", "signer", "reader",
})
"""Any of these makes the field a staff block."""

_LINKS: Final = frozenset({"to", "by", "of", "no", "#", "other", "copy", "cc"})
"""Words that may join a label but cannot make one alone."""
# fmt: on

HEAD_WORDS: Final = frozenset({
    "date", "time", "dt", "status", "code", "codes", "number", "num", "no", "nbr", "#", "id", "loc",
    "location", "phys", "physician", "provider", "modifier", "modifiers", "priority", "type",
})
"""Last words that make a short label a field whatever its other words ("Exm Date", "Img Loc")."""

CODE_WORDS: Final = frozenset({"cpt", "icd", "icd-9", "icd-10", "mrn", "dob", "accession", "snomed", "loinc",
                               "hcpcs", "csn", "fin", "ssn"})
"""Labels so specific that they are fields even after a word ("... Detailed)  CPT:71020")."""

_SPLIT_RE: Final = re.compile(r"[ \t/]+")


def is_code_label(label: str) -> bool:
    return label.lower().strip(" .") in CODE_WORDS


@lru_cache(maxsize=8192)
def field_kind(label: str, lenient: bool = False) -> str | None:
    """``FIELD`` or ``STAFF`` when every word of the label is administrative, else None.

    `lenient` (a label at a line start or after punctuation): a label of up to three words that ends
    in a head word (``HEAD_WORDS``: date, status, code, ...) is a field too.
    """
    words = [w for w in _SPLIT_RE.split(label.lower().strip(" .")) if w]
    if not words or len(words) > 5:
        return None
    if all(w in ADMIN_WORDS or w.rstrip(".") in ADMIN_WORDS for w in words):
        if all(w in _LINKS for w in words):
            return None
    elif not (lenient and len(words) <= 3 and words[-1] in HEAD_WORDS):
        return None
    return STAFF if any(w in STAFF_WORDS for w in words) else FIELD
