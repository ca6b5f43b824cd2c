#!/usr/bin/python3
"""Reference safetensors reader and writer, independent of the TypeScript engine.

No `safetensors` Python package is installable on the build machine, so this
script implements the format from its description in the huggingface/safetensors
README. A file is an 8-byte little-endian header length N, then N bytes of UTF-8
JSON that start with "{" and may be padded with spaces, then a data buffer. The
tensors' data_offsets must cover that buffer exactly, without overlap or gap.
The script needs numpy, and uses torch (when importable) for the random values
and the BF16 rounding.

Usage:
  generate_safetensors_fixtures.py generate [OUT_DIR]
      Writes the fixture files and, for each valid one, NAME.expected.json with
      the float32 values a reader must return. OUT_DIR defaults to
      test/fixtures/safetensors.
  generate_safetensors_fixtures.py read FILE
      Validates FILE strictly and prints its metadata, header length and tensors
      (values converted to float32, then written as JSON numbers; NaN and the
      infinities as the strings "NaN", "Infinity", "-Infinity"). Exits with
      status 1 and a message on stderr when the file is invalid.
  generate_safetensors_fixtures.py check FILE...
      Validates each FILE and prints one JSON line per file:
      {"file": ..., "valid": true} or {"file": ..., "valid": false, "error": ...}.
"""

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np

# Imported by `generate` only, because importing torch takes about a second and `read` does not need it.
torch = None

MAX_HEADER_BYTES = 100_000_000
METADATA_KEY = "__metadata__"
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}
SEED = 20261204


class InvalidFile(Exception):
    """The file breaks a rule of the safetensors format."""


def reject_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise InvalidFile(f"duplicate key {key!r} in the header")
        result[key] = value
    return result


def is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_safetensors(path):
    """Parse and validate a safetensors file. Return (header_length, metadata, tensors).

    tensors maps each name to (dtype, shape, float32 numpy array), in data order.
    Raises InvalidFile naming the broken rule.
    """
    blob = Path(path).read_bytes()
    if len(blob) < 8:
        raise InvalidFile("file shorter than the 8-byte header length")
    (header_length,) = struct.unpack("<Q", blob[:8])
    if header_length > len(blob) - 8:
        raise InvalidFile(f"header length {header_length} exceeds the {len(blob) - 8} bytes after it")
    if header_length > MAX_HEADER_BYTES:
        raise InvalidFile(f"header length {header_length} exceeds {MAX_HEADER_BYTES}")
    header_bytes = blob[8 : 8 + header_length]
    if not header_bytes.startswith(b"{"):
        raise InvalidFile("header does not start with '{'")
    try:
        header_text = header_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidFile(f"header is not UTF-8: {error}") from error
    try:
        header = json.loads(header_text, object_pairs_hook=reject_duplicate_keys)
    except json.JSONDecodeError as error:
        raise InvalidFile(f"header is not JSON: {error}") from error
    if not isinstance(header, dict):
        raise InvalidFile("header is not a JSON object")

    metadata = header.pop(METADATA_KEY, {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise InvalidFile("__metadata__ must map strings to strings")

    data = blob[8 + header_length :]
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
            raise InvalidFile(f"tensor {name!r}: entry needs dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPE_BYTES:
            raise InvalidFile(f"tensor {name!r}: unsupported dtype {dtype!r}")
        if not isinstance(shape, list) or not all(is_count(d) for d in shape):
            raise InvalidFile(f"tensor {name!r}: invalid shape {shape!r}")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(is_count(o) for o in offsets):
            raise InvalidFile(f"tensor {name!r}: invalid data_offsets {offsets!r}")
        begin, end = offsets
        if begin > end or end > len(data):
            raise InvalidFile(f"tensor {name!r}: data_offsets {offsets} outside the {len(data)}-byte buffer")
        if math.prod(shape) * DTYPE_BYTES[dtype] != end - begin:
            raise InvalidFile(f"tensor {name!r}: data_offsets {offsets} do not match {dtype} {shape}")
        entries.append((begin, end, name, dtype, shape))

    entries.sort(key=lambda entry: (entry[0], entry[1]))
    covered_end = 0
    for begin, end, name, _, _ in entries:
        if begin != covered_end:
            raise InvalidFile(f"tensor {name!r}: begins at {begin}, expected {covered_end} (overlap or gap)")
        covered_end = end
    if covered_end != len(data):
        raise InvalidFile(f"data buffer has {len(data) - covered_end} bytes that belong to no tensor")

    tensors = {}
    for begin, end, name, dtype, shape in entries:
        tensors[name] = (dtype, shape, to_float32(dtype, data[begin:end]).reshape(shape))
    return header_length, metadata, tensors


def to_float32(dtype, raw):
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    numpy_dtype = {"F64": "<f8", "F32": "<f4", "F16": "<f2"}[dtype]
    with np.errstate(over="ignore"):  # F64 values beyond float32 range become infinities, as in the engine.
        return np.frombuffer(raw, dtype=numpy_dtype).astype(np.float32)


def write_safetensors(path, tensors, metadata=None, header_padding=None):
    """Write tensors (name -> (dtype, shape, raw little-endian bytes)) in the layout the
    reference writer uses: descending dtype width, then name. The header is padded with
    spaces to a multiple of 8 bytes unless header_padding gives the number of spaces.
    """
    order = sorted(tensors, key=lambda name: (-DTYPE_BYTES[tensors[name][0]], name))
    header = {}
    if metadata is not None:
        header[METADATA_KEY] = metadata
    offset = 0
    for name in order:
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    padding = (-len(text)) % 8 if header_padding is None else header_padding
    text += b" " * padding
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)))
        file.write(text)
        for name in order:
            file.write(tensors[name][2])


def write_raw(path, header_text, data):
    """Write a file from literal header text, for fixtures that break the rules on purpose."""
    encoded = header_text.encode("utf-8")
    Path(path).write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)


def bfloat16_bits(values):
    """Return the BF16 bit patterns of float32 values, rounded to nearest even."""
    if torch is not None:
        tensor = torch.tensor(np.asarray(values, dtype=np.float32)).to(torch.bfloat16)
        return tensor.view(torch.int16).numpy().astype("<u2")
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def random_normal(shape, rng):
    if torch is not None:
        return torch.randn(*shape, dtype=torch.float64).numpy()
    return rng.standard_normal(shape)


def fixture_tensors():
    """Return the valid fixtures: file name -> (tensors, metadata, header_padding)."""
    rng = np.random.default_rng(SEED)
    if torch is not None:
        torch.manual_seed(SEED)

    def f32(shape):
        return ("F32", shape, random_normal(shape, rng).astype("<f4").tobytes())

    mixed = {
        "dense.weight": f32([3, 4]),
        "dense.bias": f32([4]),
        "half.values": ("F16", [2, 3], random_normal([2, 3], rng).astype("<f2").tobytes()),
        "brain.values": ("BF16", [5], bfloat16_bits(random_normal([5], rng)).tobytes()),
        # 0.1 is inexact in float32, 1e300 overflows it, 1e-50 underflows to zero.
        "double.values": ("F64", [2, 2], np.array([0.1, -2.5, 1e300, 1e-50], dtype="<f8").tobytes()),
        "scalar": ("F32", [], np.array(3.5, dtype="<f4").tobytes()),
        "empty": ("F32", [0, 3], b""),
    }

    half_bits = [
        0x0000, 0x8000, 0x3C00, 0xC000, 0x7BFF, 0xFBFF,  # 0, -0, 1, -2, max 65504, -65504
        0x0001, 0x03FF, 0x0400,  # smallest subnormal, largest subnormal, smallest normal
        0x7C00, 0xFC00, 0x7E00, 0x2E66,  # Infinity, -Infinity, NaN, 0.1 rounded
    ]
    # 0, -0, 1, 3.140625, Infinity, -Infinity, NaN, about 1e38, smallest subnormal.
    brain_bits = [0x0000, 0x8000, 0x3F80, 0x4049, 0x7F80, 0xFF80, 0x7FC0, 0x7E96, 0x0001]
    special = {
        "f16.special": ("F16", [len(half_bits)], np.array(half_bits, dtype="<u2").tobytes()),
        "bf16.special": ("BF16", [len(brain_bits)], np.array(brain_bits, dtype="<u2").tobytes()),
    }

    # A non-ASCII name, and 13 padding spaces so the header length is not a multiple of 8.
    padded = {"poids.é": f32([2, 2])}

    return {
        "mixed_dtypes.safetensors": (mixed, {"format": "pt", "producer": "generate_safetensors_fixtures.py"}, None),
        "special_values.safetensors": (special, None, None),
        "padded_header.safetensors": (padded, {}, 13),
    }


def invalid_fixtures():
    """Return files that break one rule each: file name -> (header text, data bytes)."""
    four_floats = np.arange(4, dtype="<f4").tobytes()
    return {
        "invalid_gap.safetensors": (
            '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
            '"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}',
            four_floats,
        ),
        "invalid_duplicate_name.safetensors": (
            '{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
            '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}',
            four_floats,
        ),
        "invalid_truncated.safetensors": (
            '{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}',
            four_floats,
        ),
    }


def json_number(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def describe(header_length, metadata, tensors):
    return {
        "header_bytes": header_length,
        "metadata": metadata,
        "tensors": {
            name: {
                "dtype": dtype,
                "shape": shape,
                "values": [json_number(float(v)) for v in values.reshape(-1)],
            }
            for name, (dtype, shape, values) in tensors.items()
        },
    }


def import_torch():
    global torch
    try:
        import torch as torch_module
    except ImportError:
        print("torch is not importable; making the BF16 values with numpy", file=sys.stderr)
        return
    torch = torch_module


def generate(out_dir):
    import_torch()
    out_dir.mkdir(parents=True, exist_ok=True)
    for file_name, (tensors, metadata, padding) in fixture_tensors().items():
        path = out_dir / file_name
        write_safetensors(path, tensors, metadata, padding)
        # Read back through the strict reader, so every fixture is known to be valid.
        expected = describe(*read_safetensors(path))
        expected_path = path.with_name(path.name.replace(".safetensors", ".expected.json"))
        expected_path.write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path} ({path.stat().st_size} bytes) and {expected_path.name}")
    for file_name, (header_text, data) in invalid_fixtures().items():
        path = out_dir / file_name
        write_raw(path, header_text, data)
        try:
            read_safetensors(path)
        except InvalidFile as error:
            print(f"wrote {path} (rejected as intended: {error})")
        else:
            raise SystemExit(f"{path} was meant to be invalid but the reader accepted it")


def main(argv):
    if len(argv) >= 2 and argv[1] == "generate":
        generate(Path(argv[2]) if len(argv) > 2 else Path("test/fixtures/safetensors"))
        return 0
    if len(argv) == 3 and argv[1] == "read":
        try:
            result = describe(*read_safetensors(argv[2]))
        except InvalidFile as error:
            print(f"invalid safetensors file {argv[2]}: {error}", file=sys.stderr)
            return 1
        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if len(argv) >= 3 and argv[1] == "check":
        for path in argv[2:]:
            try:
                read_safetensors(path)
            except InvalidFile as error:
                print(json.dumps({"file": path, "valid": False, "error": str(error)}))
            else:
                print(json.dumps({"file": path, "valid": True}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
