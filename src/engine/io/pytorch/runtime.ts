/**
 * The Python functions every exported file carries: a safetensors reader and
 * writer that need only the standard library and torch, and the loader that
 * checks names and shapes before it copies weights into the model.
 */

/** Module-level imports of the exported file. */
export const PYTHON_IMPORTS = [
  // Lets annotations such as torch.Tensor | None stay unevaluated on Python 3.7 to 3.9.
  'from __future__ import annotations',
  '',
  'import json',
  'import struct',
  'import sys',
  'from typing import Dict, List',
  '',
  'import torch',
  'import torch.nn.functional as F',
  'from torch import nn',
];

/**
 * Safetensors reading, writing and loading. `RENAMED_PARAMETERS` (Tensorloom
 * name to state_dict() key) is defined by the generated part of the file.
 */
export const PYTHON_SAFETENSORS = String.raw`
_SAFETENSORS_DTYPES = {
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "F64": (torch.float64, 8),
}
_MAX_HEADER_BYTES = 100_000_000


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """Read every tensor of a safetensors file, as float32, by its stored name.

    Uses safetensors.torch.load_file when the safetensors package is installed,
    and otherwise parses the file with json and struct. Raises ValueError naming
    the file and the tensor when the file is malformed.
    """
    try:
        from safetensors.torch import load_file
    except ImportError:
        load_file = None
    if load_file is not None:
        return {name: tensor.float() for name, tensor in load_file(path).items()}

    with open(path, "rb") as file:
        data = file.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file, it is only {len(data)} bytes long.")
    (header_bytes,) = struct.unpack("<Q", data[:8])
    if header_bytes > min(_MAX_HEADER_BYTES, len(data) - 8):
        raise ValueError(
            f"{path}: the header length {header_bytes} does not fit in the file, "
            "so the file is truncated or not safetensors."
        )
    try:
        header = json.loads(data[8:8 + header_bytes].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: the header is not valid JSON ({error}).") from error
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the header must be a JSON object.")

    body = memoryview(data)[8 + header_bytes:]
    tensors: Dict[str, torch.Tensor] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        tensors[name] = _decode_tensor(path, name, entry, body)
    return tensors


def _decode_tensor(path: str, name: str, entry: object, body: memoryview) -> torch.Tensor:
    if not isinstance(entry, dict):
        raise ValueError(f"{path}: tensor {name!r} has no dtype, shape and data_offsets.")
    dtype_name = entry.get("dtype")
    if dtype_name not in _SAFETENSORS_DTYPES:
        supported = ", ".join(_SAFETENSORS_DTYPES)
        raise ValueError(f"{path}: tensor {name!r} has dtype {dtype_name!r}, not {supported}.")
    dtype, item_bytes = _SAFETENSORS_DTYPES[dtype_name]
    shape = entry.get("shape")
    offsets = entry.get("data_offsets")
    if not isinstance(shape, list) or not all(isinstance(dim, int) and dim >= 0 for dim in shape):
        raise ValueError(f"{path}: tensor {name!r} has an invalid shape {shape!r}.")
    offsets_valid = isinstance(offsets, list) and len(offsets) == 2
    if not offsets_valid or not all(isinstance(offset, int) for offset in offsets):
        raise ValueError(f"{path}: tensor {name!r} has invalid data_offsets {offsets!r}.")
    begin, end = offsets
    count = 1
    for dim in shape:
        count *= dim
    if not 0 <= begin <= end <= len(body) or end - begin != count * item_bytes:
        raise ValueError(
            f"{path}: tensor {name!r} has data_offsets {offsets} but its shape {shape} needs "
            f"{count * item_bytes} bytes within the {len(body)} data bytes."
        )
    if count == 0:
        return torch.zeros(shape, dtype=torch.float32)
    # bytearray gives torch.frombuffer a writable buffer that the tensor then owns.
    values = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype)
    if sys.byteorder == "big":
        values = _swap_bytes(values, dtype, item_bytes)
    return values.reshape(shape).float()


def _swap_bytes(values: torch.Tensor, dtype: torch.dtype, item_bytes: int) -> torch.Tensor:
    """Convert little-endian values read on a big-endian host to native order."""
    raw = values.view(torch.uint8).reshape(-1, item_bytes).flip(1).contiguous()
    return raw.view(dtype).reshape(-1)


def write_safetensors(tensors: Dict[str, torch.Tensor], path: str) -> None:
    """Write tensors as float32 safetensors, sorted by name, as Tensorloom writes them."""
    # NOTE: sorted() orders by code point and Tensorloom by UTF-16 unit, which differ only
    # between names with characters above U+FFFF and names with ones from U+E000 to U+FFFF.
    names = sorted(tensors)
    header: Dict[str, object] = {}
    chunks: List[bytes] = []
    offset = 0
    for name in names:
        values = tensors[name].detach().to("cpu", torch.float32).contiguous()
        flat = values.reshape(-1).tolist()
        chunk = struct.pack(f"<{len(flat)}f", *flat)
        offsets = [offset, offset + len(chunk)]
        header[name] = {"dtype": "F32", "shape": list(values.shape), "data_offsets": offsets}
        chunks.append(chunk)
        offset += len(chunk)
    header_text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header_text += b" " * (-len(header_text) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(header_text)))
        file.write(header_text)
        for chunk in chunks:
            file.write(chunk)


def tensorloom_state_dict(model: nn.Module) -> Dict[str, torch.Tensor]:
    """Return the model's parameters under Tensorloom's names."""
    torch_to_tensorloom = {key: name for name, key in RENAMED_PARAMETERS.items()}
    return {torch_to_tensorloom.get(key, key): value for key, value in model.state_dict().items()}


def save_safetensors(model: nn.Module, path: str) -> None:
    """Write the model's weights to a safetensors file that Tensorloom can open."""
    write_safetensors(tensorloom_state_dict(model), path)


def load_safetensors(model: nn.Module, path: str) -> None:
    """Copy the weights of a Tensorloom safetensors file into the model.

    Checks every name and shape first and raises ValueError listing each
    missing, unexpected and mis-shaped tensor by name, leaving the model
    unchanged.
    """
    stored = read_safetensors(path)
    expected = model.state_dict()
    renamed = {RENAMED_PARAMETERS.get(name, name): tensor for name, tensor in stored.items()}
    torch_to_tensorloom = {key: name for name, key in RENAMED_PARAMETERS.items()}

    problems: List[str] = []
    for key, wanted in expected.items():
        if key not in renamed:
            name = torch_to_tensorloom.get(key, key)
            problems.append(f"missing tensor {name!r} {list(wanted.shape)}")
    for key, tensor in renamed.items():
        name = torch_to_tensorloom.get(key, key)
        if key not in expected:
            problems.append(f"unexpected tensor {name!r} {list(tensor.shape)}")
        elif tensor.shape != expected[key].shape:
            shapes = f"is {list(tensor.shape)} but the model needs {list(expected[key].shape)}"
            problems.append(f"tensor {name!r} {shapes}")
    if problems:
        listed = "\n  ".join(problems)
        raise ValueError(
            f"{path} does not fit {type(model).__name__}:\n  {listed}\n"
            "Export the weights from the same Tensorloom project as this file."
        )
    model.load_state_dict(renamed, strict=True)
`;
