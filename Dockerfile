# radprep images. Two targets:
#   docker build --target gpu -t radprep:gpu .   vLLM on CUDA; mount the model folder its profile names
#   docker build --target cpu -t radprep:cpu .   rules and the heuristic split, or an OpenAI-compatible backend
# Both run `radprep serve` as a non-root user on port 8000, with a health check on /readyz.
# Run with RADPREP_SECRET and RADPREP_API_KEYS set: without keys the service binds to loopback only,
# which inside a container means unreachable (on purpose: no unauthenticated service on a network).
#   docker run --gpus all -p 8000:8000 -e RADPREP_SECRET -e RADPREP_API_KEYS \
#     -v /data/models:/models:ro radprep:gpu        # /data/models/Qwen2.5-7B-Instruct: the HF folder

# -- shared: the project files, installed editable so the package finds prompts/ and models/ beside it
FROM python:3.11-slim AS cpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" \
    RADPREP_API__HOST=0.0.0.0 RADPREP_API__PORT=8000
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY prompts ./prompts
COPY models ./models
RUN pip install --no-cache-dir -e . && useradd --create-home --uid 10001 radprep
USER radprep
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=600s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
ENTRYPOINT ["radprep", "serve"]
CMD ["--route", "auto"]

# -- GPU: the vLLM image brings CUDA, PyTorch and vLLM; radprep goes on top
FROM vllm/vllm-openai:v0.11.0 AS gpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" \
    RADPREP_API__HOST=0.0.0.0 RADPREP_API__PORT=8000 RADPREP_BACKEND=vllm RADPREP_MODELS_DIR=/models
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY prompts ./prompts
COPY models ./models
RUN pip install --no-cache-dir -e ".[gpu]" && useradd --create-home --uid 10001 radprep
USER radprep
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=600s --retries=3 \
    CMD ["python3", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
ENTRYPOINT ["radprep", "serve"]
CMD ["--route", "auto", "--model", "qwen2.5-7b-instruct"]
