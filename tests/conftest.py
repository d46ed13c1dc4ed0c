"""Shared fixtures: a clean RADPREP_* environment for every test, and one Detector per session."""

from __future__ import annotations

import os

import pytest

from service.deid import Deidentifier, Detector


@pytest.fixture(autouse=True)
def clean_environ(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                  tmp_path_factory: pytest.TempPathFactory) -> None:
    """No RADPREP_* setting from the shell. And, but for the tests marked `vllm` or `models`, an empty
    models folder: the default settings (route and backend auto, radprep's section model) would start the
    vLLM engine wherever vLLM is installed and the model built, in every test of a front-end; those tests
    see what a machine without the model sees, and the marked ones the real folder."""
    for key in list(os.environ):
        if key.startswith("RADPREP_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    if not any(request.node.get_closest_marker(mark) for mark in ("vllm", "models")):
        monkeypatch.setenv("RADPREP_MODELS_DIR", str(tmp_path_factory.mktemp("no-models")))


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector()


@pytest.fixture(scope="session")
def deidentifier(detector: Detector) -> Deidentifier:
    return Deidentifier(detector, secret=b"test-secret")
