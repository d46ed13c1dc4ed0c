"""Any OpenAI-compatible chat-completions endpoint: GPT-4o (Structured Outputs, strict JSON schema),
`vllm serve`, llama.cpp's server. Requests of a call run concurrently on a thread pool."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import httpx

from service.backends.base import Backend, CompletionRequest, Usage
from service.errors import BackendError, ConfigError
from service.settings import OpenAISettings

log = logging.getLogger("radprep")
_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
KEYED_HOSTS = ("api.openai.com",)  # endpoints that never answer without a key
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

    def check(self) -> None:
        """The endpoint answers `GET /models`, accepts the key and offers the model (an endpoint without
        a model list, 404, is let through with a warning). Messages show the endpoint without any user,
        password or query part of its URL, and never the key."""
        url = httpx.URL(self.settings.base_url)
        where = f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}{url.path.rstrip('/')}"
        if self.settings.api_key is None and url.host in KEYED_HOSTS:
            raise ConfigError(f"the OpenAI endpoint {where} needs a key: set RADPREP_OPENAI__API_KEY "
                              "(or point RADPREP_OPENAI__BASE_URL at your own endpoint)")
        try:
            response = self._client.get("/models")
        except httpx.HTTPError as exc:
            raise ConfigError(f"the OpenAI-compatible endpoint {where} is unreachable ({type(exc).__name__}): "
                              "check RADPREP_OPENAI__BASE_URL") from None
        if response.status_code in (401, 403):
            raise ConfigError(f"the OpenAI-compatible endpoint {where} refused the key (HTTP {response.status_code}): "
                              f"{'set' if self.settings.api_key is None else 'check'} RADPREP_OPENAI__API_KEY")
        if response.status_code == 404:
            log.warning("the OpenAI-compatible endpoint %s lists no models (GET /models: 404): model %s not checked",
                        where, self.settings.model)
            return
        if response.status_code != 200:
            raise ConfigError(f"the OpenAI-compatible endpoint {where} answered HTTP {response.status_code} "
                              "to GET /models: check RADPREP_OPENAI__BASE_URL")
        try:
            offered = [str(m["id"]) for m in response.json()["data"]]
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"the endpoint {where} is not OpenAI-compatible (GET /models: malformed body): "
                              "check RADPREP_OPENAI__BASE_URL") from None
        if self.settings.model not in offered:
            shown = ", ".join(offered[:10]) + (f" and {len(offered) - 10} more" if len(offered) > 10 else "")
            raise ConfigError(f"the OpenAI-compatible endpoint {where} does not offer model {self.settings.model!r} "
                              f"(RADPREP_OPENAI__MODEL); it offers: {shown or 'none'}")

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
