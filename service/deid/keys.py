"""Keyed hashing: everything that must be consistent is derived from the secret, never stored.

Any number of workers with the same secret produce identical pseudonyms and date shifts, so no
shared store is needed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

MAX_SHIFT_DAYS = 365


class KeyedHasher:
    """HMAC-SHA256 of (domain, value) under the secret; the domain separates uses of one value."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("empty secret")
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


@dataclass(frozen=True, slots=True)
class PatientContext:
    """Per-patient state for one report: whose shift applies. Passed explicitly, never global.

    `patient_key` is what the date shift is derived from: the record's patient_id, else its
    metadata PatientID, else the record id (then every report is its own patient).
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
