"""Shared fixtures: a clean RADPREP_* environment for every test, and one Detector per session."""

from __future__ import annotations

import os

import pytest

from service.deid import Deidentifier, Detector


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("RADPREP_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector()


@pytest.fixture(scope="session")
def deidentifier(detector: Detector) -> Deidentifier:
    return Deidentifier(detector, secret=b"test-secret")
