"""Serving copies of a GGUF in another quantization (llama.cpp's quantizer), verified by sha256."""

from __future__ import annotations

import ctypes
import hashlib
import json
import mmap
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import llama_cpp
import numpy as np

from .llama import _init_backend, cpu_threads

# llama_ftype values for the types a serving copy can have.
FTYPES: dict[str, int] = {
    "F32": llama_cpp.LLAMA_FTYPE_ALL_F32,
    "F16": llama_cpp.LLAMA_FTYPE_MOSTLY_F16,
    "BF16": llama_cpp.LLAMA_FTYPE_MOSTLY_BF16,
    "Q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0,
    "Q4_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_1,
    "Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0,
}
FTYPE_NAMES = {v: k for k, v in FTYPES.items()}
GGML_TYPE_Q8_0 = int(gguf.GGMLQuantizationType.Q8_0)
METHODS = ("direct", "via_f32")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_NUMPY = {
    0: "<u1",
    1: "<i1",
    2: "<u2",
    3: "<i2",
    4: "<u4",
    5: "<i4",
    6: "<f4",
    7: "<?",
    10: "<u8",
    11: "<i8",
    12: "<f8",
}
_STRING, _ARRAY = 8, 9


@dataclass
class GGUFHeader:
    """A GGUF's metadata and tensor table: ``kv`` maps key -> (value type, array item type, value)."""

    kv: dict[str, tuple[int, int | None, Any]]
    tensors: list[tuple[str, tuple[int, ...], str]]  # (name, ggml dims, ggml type name)

    def value(self, key: str, default: Any = None) -> Any:
        entry = self.kv.get(key)
        return default if entry is None else entry[2]


def read_header(path: str | Path) -> GGUFHeader:
    """Parse a GGUF's header with ``struct`` (tensor data untouched).

    ``gguf.GGUFReader`` builds numpy views for every one of the ~100k vocabulary strings, which
    takes seconds; this reads the same header in a fraction of that.
    """
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        if buf[:4] != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        (version,) = struct.unpack_from("<I", buf, 4)
        if version < 2:
            raise ValueError(f"GGUF version {version} is not supported")
        n_tensors, n_kv = struct.unpack_from("<QQ", buf, 8)
        off = 24

        def string() -> str:
            nonlocal off
            (n,) = struct.unpack_from("<Q", buf, off)
            text = bytes(buf[off + 8 : off + 8 + n]).decode("utf-8", errors="surrogateescape")
            off += 8 + n
            return text

        def scalar(vtype: int) -> Any:
            nonlocal off
            if vtype == _STRING:
                return string()
            fmt = _SCALARS[vtype]
            (value,) = struct.unpack_from(fmt, buf, off)
            off += struct.calcsize(fmt)
            return value

        kv: dict[str, tuple[int, int | None, Any]] = {}
        for _ in range(n_kv):
            key = string()
            (vtype,) = struct.unpack_from("<I", buf, off)
            off += 4
            if vtype == _ARRAY:
                itype, count = struct.unpack_from("<IQ", buf, off)
                off += 12
                if itype in _NUMPY:
                    arr = np.frombuffer(buf, dtype=_NUMPY[itype], count=count, offset=off).copy()
                    off += arr.nbytes
                    kv[key] = (vtype, itype, arr.tolist())
                else:
                    kv[key] = (vtype, itype, [scalar(itype) for _ in range(count)])
            else:
                kv[key] = (vtype, None, scalar(vtype))
        tensors = []
        for _ in range(n_tensors):
            name = string()
            (n_dims,) = struct.unpack_from("<I", buf, off)
            dims = struct.unpack_from(f"<{n_dims}Q", buf, off + 4)
            ttype, _offset = struct.unpack_from("<IQ", buf, off + 4 + 8 * n_dims)
            off += 4 + 8 * n_dims + 12
            tensors.append((name, tuple(dims), gguf.GGMLQuantizationType(ttype).name))
    return GGUFHeader(kv, tensors)


def file_type(path: str | Path) -> str:
    """The GGUF's ``general.file_type`` as a name (``"Q4_0"``), or ``"ftype=N"`` for others."""
    value = read_header(path).value("general.file_type")
    if value is None:
        return "unknown"
    return FTYPE_NAMES.get(int(value), f"ftype={value}")


def tensor_types(path: str | Path) -> dict[str, int]:
    """How many tensors of each ggml type the GGUF holds."""
    counts: dict[str, int] = {}
    for _, _, ttype in read_header(path).tensors:
        counts[ttype] = counts.get(ttype, 0) + 1
    return counts


def dequantize_to_f32(src: str | Path, dst: str | Path) -> Path:
    """A float32 copy of a GGUF, dequantized with the ``gguf`` package (metadata copied as is)."""
    reader = gguf.GGUFReader(str(src))
    arch = str(reader.fields["general.architecture"].contents())
    writer = gguf.GGUFWriter(str(dst), arch=arch)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        value = field.contents()
        if key == "general.file_type":
            value = FTYPES["F32"]
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, value, vtype, sub_type=sub_type)
    for tensor in reader.tensors:
        data = gguf.quants.dequantize(np.asarray(tensor.data), tensor.tensor_type).astype(np.float32)
        writer.add_tensor(tensor.name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(dst)


def quantize(
    src: str | Path,
    dst: str | Path,
    quant: str,
    *,
    method: str = "direct",
    nthread: int | None = None,
) -> Path:
    """Write ``src`` requantized to ``quant`` at ``dst`` with llama.cpp's quantizer.

    ``direct`` requantizes the quantized weights (llama.cpp dequantizes each tensor to f32 and
    quantizes it again); ``via_f32`` first writes a float32 copy with the ``gguf`` package and
    quantizes that. Both see the same f32 weights, so they give the same file (measured: identical
    sha256); ``direct`` needs no temporary copy. The tied token embedding, which llama.cpp would turn
    into Q6_K (not possible at 576 columns), stays Q8_0 as shipped, explicitly.
    """
    if quant not in FTYPES:
        raise ValueError(f"unknown quantization {quant!r}; one of {sorted(FTYPES)}")
    if method not in METHODS:
        raise ValueError(f"method is one of {METHODS}")
    _init_backend()
    src, dst = Path(src), Path(dst)
    with tempfile.TemporaryDirectory(dir=dst.parent) as tmp:
        source = src
        if method == "via_f32":
            source = dequantize_to_f32(src, Path(tmp) / "f32.gguf")
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = FTYPES[quant]
        params.allow_requantize = True
        params.nthread = nthread or cpu_threads()
        if quant in ("Q4_0", "Q4_1", "Q8_0"):
            params.output_tensor_type = GGML_TYPE_Q8_0
            params.token_embedding_type = GGML_TYPE_Q8_0
        rc = llama_cpp.llama_model_quantize(str(source).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize failed ({rc}) for {src} -> {quant}")
    return dst


def serving_copy(base: str | Path, quant: str, cache_dir: str | Path, *, method: str = "direct") -> Path:
    """The base model in ``quant`` under ``cache_dir``: built once, reused while both hashes match.

    A sidecar ``<file>.json`` records the source's and the copy's sha256; a copy whose source changed
    or whose bytes no longer match is rebuilt. The copy is written to a temporary name and renamed.
    """
    base = Path(base)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    stem = base.name.removesuffix(".gguf")
    for known in FTYPES:
        stem = stem.removesuffix(f".{known}")
    target = cache_dir / f"{stem}.{quant}.gguf"
    sidecar = target.with_name(target.name + ".json")
    source_sha = sha256_file(base)
    if target.is_file() and sidecar.is_file():
        meta: dict[str, Any] = json.loads(sidecar.read_text())
        if meta.get("source_sha256") == source_sha and meta.get("sha256") == sha256_file(target):
            return target
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, suffix=".gguf.part")
    os.close(fd)
    try:
        quantize(base, tmp_name, quant, method=method)
        meta = {
            "source": base.name,
            "source_sha256": source_sha,
            "quant": quant,
            "method": method,
            "sha256": sha256_file(tmp_name),
            "llama_cpp_python": llama_cpp.__version__,
        }
        Path(tmp_name).replace(target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    sidecar.write_text(json.dumps(meta, indent=2) + "\n")
    return target
