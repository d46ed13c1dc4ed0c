"""De-identification: detect → spans → replace.

`detect` finds PHI spans (`spans.Span`), `replace` swaps them for consistent surrogates
(`surrogates`) and shifted dates (`dates`), keyed by the secret (`keys`).
"""

from service.deid.detect import Detector
from service.deid.keys import KeyedHasher, PatientContext
from service.deid.replace import Deidentifier, DeidResult, Entity, Replacement
from service.deid.spans import EntityType, Span

__all__ = [
    "DeidResult", "Deidentifier", "Detector", "Entity", "EntityType", "KeyedHasher",
    "PatientContext", "Replacement", "Span",
]
