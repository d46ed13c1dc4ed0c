"""One rules-route pipeline for the API tests; apps built around it start their batcher at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from service.api.app import create_app
from service.deid import Detector
from service.pipeline import Pipeline
from service.settings import ApiSettings, Settings

SECRET = b"api-test-secret"

# A report whose PHI must never show up in logs, errors or metrics.
PHI_NAME, PHI_MRN, PHI_PHONE = "Bartholomew Quackenbush", "MRN 88123456", "617-555-0199"
REPORT = (f"INDICATION: Cough. Patient {PHI_NAME}, {PHI_MRN}.\nCOMPARISON: 03/14/2021.\n"
          f"FINDINGS: The lungs are clear. Discussed with Dr. Ingrid Lindqvist at {PHI_PHONE}.\n"
          "IMPRESSION: No acute disease.")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def pipeline(detector: Detector) -> Pipeline:
    return Pipeline(Settings(route="rules"), SECRET, detector=detector)


AppFactory = Callable[..., FastAPI]


@pytest.fixture
def make_app(pipeline: Pipeline) -> AppFactory:
    def make(keys: str | None = None, **api: object) -> FastAPI:
        settings = Settings(route="rules", api=ApiSettings(**api), api_keys=keys)  # type: ignore[arg-type]
        return create_app(settings, pipeline=pipeline)

    return make


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to the app in process, with its lifespan (the batcher) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://radprep.test") as client:
            yield client
