"""Fixtures for the batch tests: a generated corpus, and one rules-only Pipeline per session."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from service.deid import Detector
from service.pipeline import Pipeline
from service.settings import Settings

SECRET = b"batch-test-secret"
SURNAMES = ["Thornquist", "Delacroix", "Okonkwo", "Lindqvist", "Haverford", "Marchetti", "Abernathy"]
FINDINGS = ["Patchy right lower lobe consolidation.", "Lungs are clear.", "Small left pleural effusion.",
            "Cardiomegaly without edema.", "No pneumothorax. Kerley B lines."]


def make_records(count: int, seed: int = 7, bad_every: int = 0) -> list[object]:
    """`count` synthetic reports with PHI (names, dates, MRNs, phones); every `bad_every`-th is invalid."""
    rng = random.Random(seed)
    rows: list[object] = []
    for n in range(count):
        if bad_every and n % bad_every == bad_every - 1:
            rows.append({"id": f"bad-{n:05d}", "text": ""} if n % 2 else '{"id": "torn", "text": ')
            continue
        name, date = rng.choice(SURNAMES), f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/20{rng.randint(10, 23)}"
        layout = n % 3
        if layout == 2:  # no headers: the heuristic split
            text = f"{rng.choice(FINDINGS)} Discussed with Dr. {name} on {date}."
        else:
            text = (f"CLINICAL HISTORY: {rng.randint(20, 95)}-year-old with cough. MRN {rng.randint(10**6, 10**7)}.\n"
                    f"COMPARISON: {date}.\nFINDINGS: {rng.choice(FINDINGS)}\n"
                    f"IMPRESSION: Called to Dr. {name} at ({rng.randint(200, 999)}) 555-{rng.randint(1000, 9999)}.")
        record: dict[str, object] = {"id": f"r{n:05d}", "text": text}
        if n % 4 == 0:
            record["patient_id"] = f"PT-{n % 17}"
            record["metadata"] = {"PatientID": f"PT-{n % 17}", "StudyDate": "20210305", "PatientAge": "094Y"}
        rows.append(record)
    return rows


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@contextmanager
def serving_over_http(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port in a thread; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def rules_settings() -> Settings:
    return Settings(route="rules", batch_size=8)


@pytest.fixture(scope="session")
def pipeline(detector: Detector, rules_settings: Settings) -> Pipeline:
    return Pipeline(rules_settings, SECRET, detector=detector)
