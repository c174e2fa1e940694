"""Write HF-layout Llama weights back into a GGUF: the base file's metadata, llama.cpp's Q/K layout, F32 norms.

transformers un-permutes ``attn_q``/``attn_k`` rows when it loads a GGUF (llama.cpp stores them
permuted for its rotary layout); this applies llama.cpp's ``permute`` again (``convert_hf_to_gguf.py``
``LlamaModel.permute``). Tensors are written in the base file's order and names; any tensor the state
dict does not hold (e.g. ``rope_freqs``) is copied from the base as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

# general.file_type (llama_ftype) for each output type
OUT_TYPES = {"F32": 0, "F16": 1, "Q8_0": 7}

_BLOCK = re.compile(r"^blk\.(\d+)\.(\w+)\.weight$")
_BLOCK_HF = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_GLOBAL_HF = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}


def hf_name(gguf_name: str) -> str | None:
    """The transformers parameter name of a llama GGUF tensor, or None if it has none."""
    if gguf_name in _GLOBAL_HF:
        return _GLOBAL_HF[gguf_name]
    m = _BLOCK.match(gguf_name)
    if m and m.group(2) in _BLOCK_HF:
        return f"model.layers.{m.group(1)}.{_BLOCK_HF[m.group(2)]}.weight"
    return None


def permute(weights: NDArray[Any], n_head: int, n_head_kv: int | None = None) -> NDArray[Any]:
    """llama.cpp's Q/K row order from the HF one (the inverse of transformers' ``_reverse_permute_weights``)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def unpermute(weights: NDArray[Any], n_head: int, n_head_kv: int | None = None) -> NDArray[Any]:
    """The HF row order from llama.cpp's (what transformers does on load); for tests."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (
        weights.reshape(n_head, weights.shape[0] // n_head // 2, 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _encode(data: NDArray[np.float32], out_type: str) -> tuple[NDArray[Any], Any]:
    """(array, raw dtype for the writer or None): 1-D tensors stay F32, Q8_0 needs rows of 32k."""
    import gguf

    if data.ndim == 1 or out_type == "F32":
        return data.astype(np.float32), None
    if out_type == "Q8_0" and data.shape[-1] % 32 == 0:
        qtype = gguf.GGMLQuantizationType.Q8_0
        return gguf.quants.quantize(data, qtype), qtype
    return data.astype(np.float16), None


def write_gguf(
    *,
    base: Path,
    state: Mapping[str, Any],
    out: Path,
    out_type: str = "F16",
    name: str | None = None,
    extra_kv: Mapping[str, str] | None = None,
) -> Path:
    """Write ``state`` (HF names → tensors/arrays, LoRA already merged) as a GGUF laid out like ``base``.

    ``base`` supplies every metadata key (tokenizer, chat template, hyper-parameters) and the tensor
    list; ``general.name`` becomes ``name``, ``general.file_type`` follows ``out_type``. ``extra_kv``
    adds string keys (e.g. ``quorum.lineage``).
    """
    import gguf

    from inference.runtime.quantize import read_header

    if out_type not in OUT_TYPES:
        raise ValueError(f"out_type is one of {sorted(OUT_TYPES)}")
    header = read_header(base)
    arch = str(header.value("general.architecture"))
    if arch != "llama":
        raise ValueError(f"only llama GGUFs are supported, not {arch!r}")
    n_head = int(header.value(f"{arch}.attention.head_count"))
    n_head_kv = int(header.value(f"{arch}.attention.head_count_kv", n_head))
    overrides: dict[str, Any] = {"general.file_type": OUT_TYPES[out_type]}
    if name:
        overrides["general.name"] = name
    tmp = out.with_name(out.name + ".part")
    writer = gguf.GGUFWriter(str(tmp), arch=arch)
    for key, (vtype, sub_type, value) in header.kv.items():
        if key == "general.architecture":
            continue
        writer.add_key_value(
            key,
            overrides.pop(key, value),
            gguf.GGUFValueType(vtype),
            sub_type=None if sub_type is None else gguf.GGUFValueType(sub_type),
        )
    for key, value in overrides.items():  # keys the base lacked
        writer.add_key_value(
            key, value, gguf.GGUFValueType.STRING if isinstance(value, str) else gguf.GGUFValueType.UINT32
        )
    for key, text in (extra_kv or {}).items():
        writer.add_key_value(key, text, gguf.GGUFValueType.STRING)

    reader: Any = None
    for tensor_name, dims, _ttype in header.tensors:
        hf = hf_name(tensor_name)
        if hf is not None and hf in state:
            data = _as_f32(state[hf])
            if tensor_name.endswith("attn_q.weight"):
                data = permute(data, n_head, n_head)
            elif tensor_name.endswith("attn_k.weight"):
                data = permute(data, n_head, n_head_kv)
        else:
            if hf is not None and tensor_name != "output.weight":
                raise KeyError(f"{hf} (for {tensor_name}) is missing from the state dict")
            if reader is None:
                reader = gguf.GGUFReader(str(base))
            src = next(t for t in reader.tensors if t.name == tensor_name)
            data = gguf.quants.dequantize(np.asarray(src.data), src.tensor_type).astype(np.float32)
        expected = tuple(reversed(dims))  # ggml dims are innermost-first
        if tuple(data.shape) != expected:
            data = data.reshape(expected)
        array, raw_dtype = _encode(data, out_type)
        writer.add_tensor(tensor_name, array, raw_dtype=raw_dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)  # a half-written file never carries the final name
    return out


def _as_f32(value: Any) -> NDArray[np.float32]:
    if hasattr(value, "detach"):  # a torch tensor; imported lazily by the caller
        value = value.detach().float().cpu().numpy()
    return np.ascontiguousarray(np.asarray(value, dtype=np.float32))
