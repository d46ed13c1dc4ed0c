"""Which backend a run really uses, and why: said once, true, and what /readyz reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.backends import VllmBackend, choose_backend
from service.backends.choice import check_backend
from service.errors import ConfigError
from service.settings import OpenAISettings, Settings


def _built(models: Path, monkeypatch: pytest.MonkeyPatch, folder_name: str = "radprep-sections-135m") -> None:
    """A models folder in which a profile's model (default: the default profile's) looks built."""
    monkeypatch.setenv("RADPREP_MODELS_DIR", str(models))
    folder = models / folder_name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")


def test_auto_without_vllm_says_so_and_does_not_suggest_vllm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _built(tmp_path, monkeypatch)
    monkeypatch.setattr(VllmBackend, "is_available", False)
    choice = choose_backend(Settings())
    assert (choice.route, choice.backend, choice.model) == ("rules", None, None)
    assert (choice.asked_route, choice.asked_backend) == ("auto", "auto")
    assert "vLLM is not installed" in choice.reason and "radprep[cpu]" in choice.reason
    assert "--backend vllm" not in choice.describe() and "heuristic split" in choice.describe()
    assert choice.describe().startswith("sections: route rules, no LLM (asked: route auto, backend auto): ")


def test_auto_with_vllm_but_no_model_names_the_build_script(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RADPREP_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(VllmBackend, "is_available", True)
    choice = choose_backend(Settings())
    assert choice.backend is None and "python models/build_model.py radprep-sections-135m" in choice.reason


def test_auto_with_vllm_and_the_default_model_built_uses_radprep_s_section_model(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _built(tmp_path, monkeypatch)
    monkeypatch.setattr(VllmBackend, "is_available", True)
    choice = choose_backend(Settings())
    assert (choice.route, choice.backend, choice.model) == ("auto", "vllm", "radprep-sections-135m")
    assert choice.describe() == ("sections: route auto, backend vllm, model radprep-sections-135m (asked: route"
                                 " auto, backend auto): backend auto: vLLM is installed and model"
                                 " radprep-sections-135m is built")


def test_auto_with_the_plain_small_model_built_explains_why_it_is_not_used(monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:
    _built(tmp_path, monkeypatch, "smollm2-135m-instruct")
    monkeypatch.setattr(VllmBackend, "is_available", True)
    choice = choose_backend(Settings(model="smollm2-135m"))
    assert choice.backend is None and "sections worse than the rules" in choice.reason
    assert "--backend vllm uses it" in choice.reason


def test_named_backends_and_route_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    openai = choose_backend(Settings(route="llm", backend="openai", openai=OpenAISettings(model="gpt-x")))
    assert (openai.route, openai.backend, openai.model, openai.explicit) == ("llm", "openai", "gpt-x", True)
    assert openai.describe() == "sections: route llm, backend openai, model gpt-x: backend openai asked for"
    rules = choose_backend(Settings(route="rules", backend="openai"))
    assert (rules.backend, rules.explicit) == (None, False) and "never calls an LLM" in rules.reason


def test_a_named_backend_that_cannot_answer_is_refused_before_anything_loads() -> None:
    """`--backend openai` with nothing configured: the public endpoint, no key. No request is sent."""
    with pytest.raises(ConfigError, match="needs a key: set RADPREP_OPENAI__API_KEY"):
        check_backend(Settings(route="llm", backend="openai"))
