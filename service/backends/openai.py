"""Any OpenAI-compatible chat-completions endpoint: GPT-4o (Structured Outputs, strict JSON schema),
`vllm serve`, llama.cpp's server. Requests of a call run concurrently on a thread pool."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import httpx

from service.backends.base import Backend, CompletionRequest, Usage
from service.errors import BackendError
from service.settings import OpenAISettings

_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
DOCUMENT_FIELD = "radprep_document"  # the report, for backends behind the stub server (`send_document`)


class OpenAIBackend(Backend):
    name: ClassVar[str] = "openai"

    def __init__(self, settings: OpenAISettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.usage = Usage()
        headers = {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"} if settings.api_key else {}
        self._client = httpx.Client(base_url=settings.base_url.rstrip("/"), headers=headers,
                                    timeout=settings.timeout_s, transport=transport)

    def complete(self, requests: Sequence[CompletionRequest]) -> list[str]:
        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=min(self.settings.concurrency, len(requests))) as pool:
            results = list(pool.map(self._one, requests))
        for _, usage in results:
            self.usage.add(usage)
        return [text for text, _ in results]

    def close(self) -> None:
        self._client.close()

    def _one(self, request: CompletionRequest) -> tuple[str, Usage]:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": 0,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "report_sections", "schema": request.constraints.schema, "strict": True},
            },
        }
        if self.settings.send_document:
            body[DOCUMENT_FIELD] = request.document
        for attempt in range(self.settings.retries + 1):
            try:
                response = self._client.post("/chat/completions", json=body)
            except httpx.HTTPError as exc:
                error = BackendError(f"OpenAI-compatible endpoint unreachable ({type(exc).__name__})")
            else:
                if response.status_code == 200:
                    return self._parse(response)
                error = BackendError(f"OpenAI-compatible endpoint answered HTTP {response.status_code}")
                if response.status_code not in _RETRY_STATUS:
                    raise error
            if attempt < self.settings.retries:
                time.sleep(min(8.0, 0.5 * 2**attempt))
        raise error

    @staticmethod
    def _parse(response: httpx.Response) -> tuple[str, Usage]:
        try:
            data = response.json()
            choice = data["choices"][0]["message"]
            text = choice.get("content")
            if text is None:  # a refusal or an empty answer
                raise BackendError("OpenAI-compatible endpoint returned no content")
            usage = data.get("usage") or {}
            details = usage.get("prompt_tokens_details") or {}
            return str(text), Usage(1, int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)),
                                    int(details.get("cached_tokens", 0) or 0))
        except (ValueError, KeyError, IndexError, TypeError):
            raise BackendError("OpenAI-compatible endpoint returned a malformed body") from None
