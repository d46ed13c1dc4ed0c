# CPU image of the radprep command line (the HTTP service and the GPU image come with the service work).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=""
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY prompts ./prompts
COPY models ./models
# Editable, so that the package finds prompts/ and models/ beside it in /app.
RUN pip install --no-cache-dir -e . && useradd --create-home --uid 10001 radprep
USER radprep
ENTRYPOINT ["radprep"]
CMD ["--help"]
