"""Fixtures for the fine-tuning tests: the bundled model and the tiny random Llama of the runtime tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.inference.conftest import bundled_model, write_tiny_llama  # noqa: F401  (a fixture, re-exported)


def have(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


needs_torch = pytest.mark.skipif(
    not have("torch", "transformers", "accelerate", "llama_cpp", "gguf"),
    reason="torch, transformers, accelerate, llama-cpp-python and gguf are needed",
)


@pytest.fixture(scope="session")
def tiny_gguf(bundled_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    return write_tiny_llama(bundled_model, tmp_path_factory.mktemp("ft-tiny") / "tiny-llama.F32.gguf", seed=3)
