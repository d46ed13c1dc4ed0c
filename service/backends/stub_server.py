"""A minimal OpenAI-compatible chat-completions server in front of any backend (rules by default).

It speaks the part of the protocol radprep uses (POST /v1/chat/completions with a json_schema
response_format, GET /v1/models), so the `openai` backend can be tested and demonstrated without a
GPU or a network: `python -m service.backends.stub_server --port 8009`. Listens on loopback only.
The report comes in the body field `radprep_document`, which the `openai` backend sends with
`send_document` (RADPREP_OPENAI__SEND_DOCUMENT=true); the prompt is never parsed. The answer's form
(unit numbers or text) is read from the schema's property types, as a strict-mode schema states it.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from service.backends.base import Backend, CompletionRequest, Constraints
from service.backends.openai import DOCUMENT_FIELD
from service.errors import RadprepError
from service.sections.units import split_units


def request_of(body: dict[str, Any]) -> CompletionRequest | None:
    """The CompletionRequest a chat-completions body stands for; None without `radprep_document` (a
    body that lacks the json_schema response_format fails to index: KeyError or TypeError)."""
    schema = body["response_format"]["json_schema"]["schema"]
    document = body.get(DOCUMENT_FIELD)
    if not isinstance(document, str):
        return None
    spans = any(value.get("type") == "array" for value in schema["properties"].values())
    constraints = Constraints(schema, units=len(split_units(document))) if spans else Constraints(
        schema, max_chars=len(document))
    return CompletionRequest(body["messages"], constraints, int(body.get("max_tokens", 256)), document=document)


class _Handler(BaseHTTPRequestHandler):
    backend: Backend
    model_name = "radprep-stub"

    def log_message(self, format: str, *args: Any) -> None:  # no request lines (they hold no PHI, but stay quiet)
        return

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": self.model_name, "object": "model"}]})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": "not found"}})
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            request = request_of(body)
        except (ValueError, KeyError, TypeError):
            request = None
        if request is None:
            self._send(400, {"error": {"message": "expected a chat completion with a json_schema response_format "
                                                  f"and the report as {DOCUMENT_FIELD} (send_document)"}})
            return
        try:
            (text,) = self.backend.complete([request])
        except RadprepError as exc:
            self._send(500, {"error": {"message": str(exc)}})
            return
        prompt_tokens = sum(len(m["content"].split()) for m in body["messages"])
        self._send(200, {
            "id": "chatcmpl-stub", "object": "chat.completion", "model": self.model_name,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(text.split()),
                      "total_tokens": prompt_tokens + len(text.split())},
        })


def start(backend: Backend | None = None, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start the server on 127.0.0.1 in a daemon thread; returns it and its /v1 base URL."""
    from service.sections.rules_backend import RulesBackend

    handler = type("Handler", (_Handler,), {"backend": backend or RulesBackend()})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8009)
    args = parser.parse_args()
    server, url = start(port=args.port)
    print(f"OpenAI-compatible stub (rules backend) at {url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
