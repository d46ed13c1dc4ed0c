"""A scripted backend for tests and demos: it returns the replies queued on it, in order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import ClassVar

from service.backends.base import Backend, CompletionRequest, Usage
from service.errors import BackendError

Reply = str | Callable[[CompletionRequest], str]


class FakeBackend(Backend):
    """Queue replies with `enqueue`; each may be a string or a function of the request."""

    name: ClassVar[str] = "fake"

    def __init__(self, replies: Sequence[Reply] = ()) -> None:
        self._replies: deque[Reply] = deque(replies)
        self.requests: list[CompletionRequest] = []
        self.usage = Usage()

    def enqueue(self, *replies: Reply) -> None:
        self._replies.extend(replies)

    def complete(self, requests: Sequence[CompletionRequest]) -> list[str]:
        out = []
        for request in requests:
            if not self._replies:
                raise BackendError("fake backend: no reply queued")
            reply = self._replies.popleft()
            self.requests.append(request)
            text = reply(request) if callable(reply) else reply
            self.usage.calls += 1
            self.usage.output_tokens += len(text.split())
            out.append(text)
        return out
