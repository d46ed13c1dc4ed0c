"""Property-based run of schemathesis against the service's own OpenAPI schema: requests generated
from the schema (positive) and mutated against it (negative) get a documented status, a body that
matches the documented schema, never a 5xx, and invalid requests are rejected."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from service.api.app import create_app
from service.pipeline import Pipeline
from service.settings import ApiSettings, Settings

# CI runs a fixed sample (a red CI should mean a regression, not a new draw); set SCHEMATHESIS_EXAMPLES
# for a longer random search, e.g. SCHEMATHESIS_EXAMPLES=2000 pytest tests/api/test_schemathesis.py
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "60"))
DERANDOMIZE = "SCHEMATHESIS_EXAMPLES" not in os.environ
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


@pytest.fixture(scope="module")
def api_schema(pipeline: Pipeline) -> schemathesis.BaseSchema:
    app = create_app(Settings(route="rules", api=ApiSettings(max_batch=8)), pipeline=pipeline)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_schema_covers_every_route(api_schema: schemathesis.BaseSchema) -> None:
    labels = {operation.ok().label for operation in api_schema.get_all_operations()}
    assert {"POST /v1/reports", "POST /v1/reports/batch", "GET /healthz", "GET /readyz", "GET /metrics"} <= labels


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_api_conforms_to_its_schema(api_schema: schemathesis.BaseSchema, mode: GenerationMode) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    strategy = st.one_of([operation.as_strategy(generation_mode=mode) for operation in operations
                          if mode is GenerationMode.POSITIVE or operation.method == "post"])
    statuses: list[int] = []

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        response = case.call()
        statuses.append(response.status_code)
        # The batch endpoint answers 200 with the invalid records' errors in place (by design: one bad
        # record must not fail the others), so "invalid data is rejected" holds per record there.
        batch = case.operation.path == "/v1/reports/batch"
        case.validate_response(response, checks=[c for c in CHECKS if not (batch and c is negative_data_rejection)])

    check()
    if mode is GenerationMode.POSITIVE:
        assert 200 in statuses  # generated reports were processed, not only refused
    else:
        assert any(400 <= status < 500 for status in statuses)
