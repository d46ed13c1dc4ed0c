"""LLM backends: each turns CompletionRequests into JSON completions (`complete`), and `close`s.

Built-ins by name in `BACKENDS`, each a factory of the settings: `vllm` (in-process engine), `openai`
(any OpenAI-compatible endpoint), `fake` (scripted replies, for tests and demos), `rules` (the rules
sectioner answering in the same format; it lives with the sections, `service.sections.rules_backend`).
"""

from __future__ import annotations

from collections.abc import Callable

from service.backends.base import Backend, Completion, CompletionRequest, Constraints, Usage
from service.backends.choice import BackendChoice, choose_backend
from service.backends.fake import FakeBackend
from service.backends.openai import OpenAIBackend
from service.backends.profiles import ModelProfile, load_profile
from service.backends.vllm import VllmBackend
from service.errors import ConfigError
from service.settings import OpenAISettings, Settings


def _rules(settings: Settings) -> Backend:
    from service.sections.rules_backend import RulesBackend

    return RulesBackend()


BACKENDS: dict[str, Callable[[Settings], Backend]] = {
    VllmBackend.name: lambda settings: VllmBackend(load_profile(settings.model)),
    OpenAIBackend.name: lambda settings: OpenAIBackend(settings.openai),
    FakeBackend.name: lambda settings: FakeBackend(),
    "rules": _rules,
}


def create_backend(name: str, settings: Settings) -> Backend:
    """The backend `name`, configured from `settings`."""
    factory = BACKENDS.get(name)
    if factory is None:
        raise ConfigError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")
    return factory(settings)


__all__ = [
    "BACKENDS", "Backend", "BackendChoice", "Completion", "CompletionRequest", "Constraints", "FakeBackend",
    "ModelProfile", "OpenAIBackend", "OpenAISettings", "Usage", "VllmBackend", "choose_backend", "create_backend",
    "load_profile",
]
