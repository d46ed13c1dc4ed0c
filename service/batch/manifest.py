"""The run manifest beside a `radprep batch` output (`OUTPUT.manifest.json`): what a resume must match.

It holds no PHI and no secret:

- `secret`: a keyed fingerprint of RADPREP_SECRET, HMAC-SHA256 of a constant under the secret (neither
  the secret nor a plain hash of it, which could be tested against guesses offline); null with
  `--server`, whose secret is the service's;
- `options`: the settings that change the output (route, backend, mode, model, prompt version, spaCy
  model, the text limit, the batch size that fixes where batches are cut, the `--server` URL);
- `batches`: for each batch written, in order, its number of records and an HMAC-SHA256 (under the same
  secret) of its records (id, text, patient_id, metadata), so a changed input is noticed without storing
  a plain hash of report text.

A resume compares the secret and the options before it starts and each written batch's hash as it reads
the input again; any difference stops the run (exit 2) before anything is written: the output would
otherwise mix two secrets (two pseudonyms for one patient) or two inputs. `--overwrite` starts afresh.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from service.errors import ManifestMismatchError
from service.records import InputRecord, Item
from service.settings import Settings

log = logging.getLogger("radprep")
VERSION = 1
_FINGERPRINT_CONSTANT = b"radprep run manifest: secret fingerprint v1"
_OPTIONS = ("route", "backend", "mode", "model", "prompt_version", "spacy_model", "max_text_chars", "batch_size")


def manifest_path(output: Path) -> Path:
    return output.with_name(output.name + ".manifest.json")


def secret_fingerprint(secret: bytes) -> str:
    return hmac.new(secret, _FINGERPRINT_CONSTANT, hashlib.sha256).hexdigest()


def output_options(settings: Settings, server: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {name: getattr(settings, name) for name in _OPTIONS}
    options["prompts_dir"] = str(settings.prompts_dir) if settings.prompts_dir is not None else None
    if server:  # the route, model and secret are the service's
        options = {"batch_size": settings.batch_size, "max_text_chars": settings.max_text_chars, "server": server}
    return options


class Manifest:
    """The manifest of one run: checked against the one on disk at the start, rewritten after each batch."""

    def __init__(self, output: Path, settings: Settings, secret: bytes, server: str | None) -> None:
        self.path = manifest_path(output)
        self._key = secret or b"radprep --server"  # with --server only the input hashes are kept
        self.secret = None if server else secret_fingerprint(secret)
        self.options = output_options(settings, server)
        self.batches: list[dict[str, Any]] = []  # the batches written, in order
        self._previous: list[dict[str, Any]] = []  # the earlier run's, checked as the input is read again

    def start(self, fresh: bool, started: bool) -> None:
        """Check an earlier run's manifest (unless `fresh`) and write this run's."""
        if fresh:
            self.path.unlink(missing_ok=True)
        elif self.path.exists():
            self._check(self.path)
        elif started:
            log.warning("%s has no manifest (written by an older radprep): the secret, options and input of the "
                        "resumed part cannot be checked", self.path.name.removesuffix(".manifest.json"))
        self._save()

    def _check(self, path: Path) -> None:
        name = path.name.removesuffix(".manifest.json")
        try:
            earlier = json.loads(path.read_text(encoding="utf-8"))
            secret, options, batches = earlier["secret"], earlier["options"], list(earlier["batches"])
        except (OSError, ValueError, KeyError, TypeError):
            raise ManifestMismatchError(f"{path.name} cannot be read: remove {name} or pass --overwrite") from None
        if secret != self.secret:
            raise ManifestMismatchError(f"{name} was written with another RADPREP_SECRET (or with --server / "
                                        "--ephemeral-key): resuming would give a patient two pseudonyms; use the "
                                        "same secret, or pass --overwrite")
        changed = sorted(k for k in set(options) | set(self.options) if options.get(k) != self.options.get(k))
        if changed:
            raise ManifestMismatchError(f"{name} was written with other options ({', '.join(changed)} differ): "
                                        "rerun with the same options, or pass --overwrite")
        self._previous = batches

    def verify(self, items: Iterable[Item]) -> Iterator[Item]:
        """The items, unchanged; raises when a batch already written is not the input's batch any more."""
        if not self._previous:
            yield from items
            return
        digest = self._hasher()
        count = index = 0
        for item in items:
            if isinstance(item, InputRecord) and index < len(self._previous):
                self._feed(digest, item)
                count += 1
                if count == self._previous[index]["records"]:
                    self._compare(index, digest)
                    digest, count, index = self._hasher(), 0, index + 1
            yield item
        if index < len(self._previous):  # the input ends inside or before what was written
            if count:
                self._compare(index, digest)
            raise self._mismatch(index)

    def add(self, records: list[InputRecord]) -> None:
        """A batch written (its reports and errors are durable): record its hash."""
        if not records:
            return
        digest = self._hasher()
        for record in records:
            self._feed(digest, record)
        self.batches.append({"records": len(records), "hmac": digest.hexdigest()})
        self._save()

    def _compare(self, index: int, digest: Any) -> None:
        if digest.hexdigest() != self._previous[index]["hmac"]:
            raise self._mismatch(index)
        self.batches.append(self._previous[index])

    def _mismatch(self, index: int) -> ManifestMismatchError:
        first = sum(int(b["records"]) for b in self._previous[:index])
        name = self.path.name.removesuffix(".manifest.json")
        return ManifestMismatchError(
            f"the input differs from what {name} was made from (the batch of valid records {first + 1}-"
            f"{first + int(self._previous[index]['records'])} changed or is missing): use the same input, "
            "or pass --overwrite")

    def _hasher(self) -> Any:
        return hmac.new(self._key, b"radprep batch input v1", hashlib.sha256)

    @staticmethod
    def _feed(digest: Any, record: InputRecord) -> None:
        fields = [record.id, record.text, record.patient_id, record.metadata]
        digest.update(json.dumps(fields, sort_keys=True, allow_nan=False).encode("ascii"))
        digest.update(b"\n")

    def _save(self) -> None:
        data = {"version": VERSION, "secret": self.secret, "options": self.options, "batches": self.batches}
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
