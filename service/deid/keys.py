"""Keyed hashing: everything that must be consistent is derived from the secret, never stored.

Any number of workers with the same secret produce identical pseudonyms and date shifts, so no
shared store is needed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from service.errors import ConfigError

MAX_SHIFT_DAYS = 365


class KeyedHasher:
    """HMAC-SHA256 of (domain, value) under the secret; the domain separates uses of one value."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ConfigError("empty secret")
        self._secret = secret

    def digest(self, domain: str, value: str) -> bytes:
        return hmac.new(self._secret, f"{domain}\x1f{value}".encode(), hashlib.sha256).digest()

    def integer(self, domain: str, value: str) -> int:
        return int.from_bytes(self.digest(domain, value)[:8], "big")

    def choice(self, domain: str, value: str, options: tuple[str, ...]) -> str:
        return options[self.integer(domain, value) % len(options)]


def normalize_key(value: str) -> str:
    """Case- and spacing-insensitive form of an identifier or name, used as hashing input."""
    return " ".join(value.upper().split())


def patient_key(patient_id: object, metadata_id: object, record_id: object) -> str | None:
    """Who a record belongs to, the one rule of every front-end (pipeline, `split`, `stats`, `dicom`):
    its patient_id, else its metadata PatientID, else its record id (then the report is its own
    patient). Patient IDs are compared ignoring case and spaces, as their pseudonyms are
    (`Surrogates.identifier`), so one patient has one date shift and one pseudonym whichever field
    names it. None when nothing identifies the record (no usable id at all)."""
    for value in (patient_id, metadata_id):
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            return "patient:" + normalize_key(str(value)).replace(" ", "")
    if isinstance(record_id, (str, int)) and not isinstance(record_id, bool) and str(record_id) != "":
        return f"record:{record_id}"
    return None


@dataclass(frozen=True, slots=True)
class PatientContext:
    """Per-patient state for one report: whose shift applies. Passed explicitly, never global.

    `patient_key` is what the date shift is derived from (see `patient_key`).
    """

    patient_key: str
    date_offset_days: int

    @classmethod
    def for_patient(cls, hasher: KeyedHasher, patient_key: str) -> PatientContext:
        return cls(patient_key, date_offset(hasher, patient_key))


def date_offset(hasher: KeyedHasher, patient_key: str) -> int:
    """An integer in [-365, -1] ∪ [1, 365], fixed for (secret, patient)."""
    n = hasher.integer("date-shift", normalize_key(patient_key)) % (2 * MAX_SHIFT_DAYS)
    return n - MAX_SHIFT_DAYS if n < MAX_SHIFT_DAYS else n - MAX_SHIFT_DAYS + 1
