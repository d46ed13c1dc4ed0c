"""Which input records an interrupted run already wrote, so that a rerun writes every record once.

Reports are written in input order, so the ids in the output are a prefix, in order, of the
input's valid records; a rerun walks the input and the output together and skips the matches.
The errors file is small: its entries are matched as a set (`where` and `id`). Each batch's errors
are made durable before its reports, so an error entry may be ahead of the output, never behind.
A valid record that is neither in the output nor in the errors file while the output still has
ids to match means the files belong to another input: the run stops with a clear error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from service.errors import InputError, RecordError
from service.records import Item

_END = object()


class Resume:
    def __init__(self, written_ids: Iterator[str], written_errors: Iterable[dict[str, Any]], output_name: str) -> None:
        self._ids = written_ids
        self._next_id: object = next(self._ids, _END)
        self._errors = Counter((e.get("where"), e.get("id")) for e in written_errors)
        self._output_name = output_name
        self.done_reports = 0  # valid records whose report is written
        self.done_failures = 0  # valid records whose processing failed (in the errors file)
        self.done_errors = 0  # entries of the errors file matched

    @property
    def done_records(self) -> int:
        """Valid input records already handled: the position of the next batch in the valid stream."""
        return self.done_reports + self.done_failures

    def pending(self, items: Iterable[Item]) -> Iterator[Item]:
        """The input items not yet written, in order."""
        for item in items:
            if not self._done(item):
                yield item
        if self._next_id is not _END:
            raise InputError(f"{self._output_name} holds records that are not in the input (first: id "
                             f"{self._next_id!r}): remove it, or pass --overwrite")

    def _done(self, item: Item) -> bool:
        if isinstance(item, RecordError):
            return self._take_error(item.where, item.record_id)
        if self._next_id == item.id:
            self._next_id = next(self._ids, _END)
            self.done_reports += 1
            return True
        if self._take_error(None, item.id):
            self.done_failures += 1
            return True
        if self._next_id is not _END:
            raise InputError(f"{self._output_name} does not match the input: input record {item.id!r} is missing "
                             f"before id {self._next_id!r}; remove it, or pass --overwrite")
        return False

    def _take_error(self, where: str | None, record_id: str | None) -> bool:
        key = (where, record_id)
        if self._errors[key] <= 0:
            return False
        self._errors[key] -= 1
        self.done_errors += 1
        return True
