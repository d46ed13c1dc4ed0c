"""Which LLM backend a run really uses, and why: decided once from the settings, before any model loads.

`choose_backend` never builds an engine: front-ends say what it decided (`BackendChoice.describe`, one
line), `/readyz` reports it, and `Pipeline` builds the backend it names. With `--backend auto`:

    vLLM not installed            → no LLM (the install hint names the extras, and --backend openai)
    the profile's model not built → no LLM (the hint names models/build_model.py)
    profile use_in_auto = false   → no LLM (--backend vllm uses it)
    otherwise                     → vllm with that profile

A backend named explicitly (`--backend vllm|openai|fake|rules`) is used as asked, and checked at
start-up (`Backend.check`), so a run that cannot reach its LLM stops before it starts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from service.backends.profiles import load_profile
from service.backends.vllm import VllmBackend
from service.settings import Settings

HEURISTIC = "reports without clear headers get the heuristic split"


@dataclass(frozen=True)
class BackendChoice:
    route: Literal["auto", "llm", "rules"]  # the route in use: "rules" when there is no backend
    backend: str | None
    model: str | None
    reason: str  # PHI-free, for people
    asked_route: str
    asked_backend: str

    @property
    def explicit(self) -> bool:
        """A backend named by the user (not found by `auto`): checked at start-up."""
        return self.backend is not None and self.asked_backend != "auto"

    def describe(self) -> str:
        asked = "" if (self.route, self.backend or "auto") == (self.asked_route, self.asked_backend) else (
            f" (asked: route {self.asked_route}, backend {self.asked_backend})")
        if self.backend is None:
            return f"sections: route {self.route}, no LLM{asked}: {self.reason}"
        model = f", model {self.model}" if self.model else ""
        return f"sections: route {self.route}, backend {self.backend}{model}{asked}: {self.reason}"

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def choose_backend(settings: Settings) -> BackendChoice:
    """What `settings` ask for, resolved (see the module docstring). ConfigError for an unknown profile."""
    asked = {"asked_route": settings.route, "asked_backend": settings.backend}
    if settings.route == "rules":
        return BackendChoice("rules", None, None, "route rules never calls an LLM", **asked)
    name = settings.backend
    if name != "auto":
        model = {"vllm": lambda: load_profile(settings.model).name, "openai": lambda: settings.openai.model}.get(name)
        return BackendChoice(settings.route, name, model() if model else None, f"backend {name} asked for", **asked)
    profile = load_profile(settings.model)
    if not VllmBackend.is_available:
        why = ("backend auto found no LLM: vLLM is not installed (pip install 'radprep[cpu]' or 'radprep[gpu]'; "
               "or choose --backend openai)")
    elif not (profile.local_path / "config.json").is_file():
        why = (f"backend auto found no LLM: the model of profile {profile.name} is not built "
               f"(python models/build_model.py {profile.name}; or choose --backend openai)")
    elif not profile.use_in_auto:
        why = (f"backend auto does not use model {profile.name}: it sections worse than the rules "
               "(--backend vllm uses it)")
    else:
        return BackendChoice(settings.route, "vllm", profile.name,
                             f"backend auto: vLLM is installed and model {profile.name} is built", **asked)
    return BackendChoice("rules", None, None, f"{why}; {HEURISTIC}", **asked)


def check_backend(settings: Settings) -> BackendChoice:
    """`choose_backend`, and a backend the user named checked now (`Backend.check`) and closed again:
    for front-ends that build their pipelines elsewhere (the server's processes, Ray's actors)."""
    choice = choose_backend(settings)
    if choice.explicit and choice.backend is not None:
        from service.backends import create_backend

        backend = create_backend(choice.backend, settings)
        try:
            backend.check()
        finally:
            backend.close()
    return choice
