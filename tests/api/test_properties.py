"""Property test of the HTTP API: arbitrary JSON values and hostile records (lone surrogates, NaN,
huge numbers, nesting) mixed with good ones never get a 5xx, and every valid record is answered."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.app import create_app
from service.errors import RecordError
from service.pipeline import Pipeline
from service.records import validate
from service.settings import Settings
from tests.batch.test_runner import GOOD_RECORDS, HOSTILE_RECORDS, JSON_VALUES


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.booleans(), HOSTILE_RECORDS, GOOD_RECORDS), min_size=1, max_size=6),
       body=JSON_VALUES)
def test_no_5xx_and_every_valid_record_is_answered(pipeline: Pipeline, rows, body) -> None:
    records, valid = [], []
    for n, (good, hostile, record) in enumerate(rows):
        raw = {"id": f"g{n}", **record} if good else hostile
        records.append(raw)
        try:
            # the record as the server reads it: JSON joins a surrogate pair ("\ud87f\udcce") into one character
            valid.append(validate(json.loads(json.dumps(raw)), "", 100_000).id)
        except RecordError:
            valid.append(None)
    headers = {"content-type": "application/json"}
    with TestClient(create_app(Settings(route="rules"), pipeline=pipeline)) as client:
        batch = client.post("/v1/reports/batch", content=json.dumps({"records": records}), headers=headers)
        singles = [client.post("/v1/reports", content=json.dumps(raw), headers=headers) for raw in records]
        anything = client.post("/v1/reports", content=json.dumps(body), headers=headers)
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert len(results) == len(records)
    for expected, result, single in zip(valid, results, singles, strict=True):
        if expected is None:
            assert result["status"] == "error" and result["error"]["code"] == "invalid_record"
            assert single.status_code == 422 and single.json()["error"]["code"] == "invalid_record"
        else:
            assert result["status"] == "ok" and result["report"]["id"] == expected
            assert single.status_code == 200 and single.json()["id"] == expected
    assert anything.status_code < 500, anything.text
