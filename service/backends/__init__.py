"""LLM backends: each turns CompletionRequests into JSON completions (`complete`).

Built-ins by name: `vllm` (in-process engine), `openai` (any OpenAI-compatible endpoint), `fake`
(scripted replies, for tests and demos), `rules` (the rules sectioner answering in the same format).
"""

from __future__ import annotations

from service.backends.base import Backend, CompletionRequest, Usage
from service.backends.fake import FakeBackend
from service.backends.openai import OpenAIBackend, OpenAISettings
from service.backends.profiles import ModelProfile, load_profile
from service.backends.rules import RulesBackend
from service.backends.vllm import VllmBackend
from service.errors import ConfigError

BACKENDS: dict[str, type] = {
    VllmBackend.name: VllmBackend,
    OpenAIBackend.name: OpenAIBackend,
    FakeBackend.name: FakeBackend,
    RulesBackend.name: RulesBackend,
}


def create_backend(name: str, *, model: str = "smollm2-135m", openai: OpenAISettings | None = None) -> Backend:
    """A backend by name, configured from settings."""
    if name == "vllm":
        return VllmBackend(load_profile(model))
    if name == "openai":
        return OpenAIBackend(openai or OpenAISettings())
    if name == "fake":
        return FakeBackend()
    if name == "rules":
        return RulesBackend()
    raise ConfigError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")


__all__ = [
    "BACKENDS", "Backend", "CompletionRequest", "FakeBackend", "ModelProfile", "OpenAIBackend",
    "OpenAISettings", "RulesBackend", "Usage", "VllmBackend", "create_backend", "load_profile",
]
