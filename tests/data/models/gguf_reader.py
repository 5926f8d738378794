"""A minimal GGUF (v2/v3) reader and writer: metadata key/values and tensors as numpy arrays.

Written for tests/data/models/convert_gguf.py and derive_gguf.py from the format description
in llama.cpp's docs (ggml/docs/gguf.md); only F32 and F16 tensors are needed by the fixtures.
"""

import struct

import numpy as np

# Metadata value types.
_SCALARS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
# ggml tensor types this reader decodes.
_TENSOR_TYPES = {0: np.float32, 1: np.float16}


class _Cursor:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        length = self.take("<Q")
        text = bytes(self.data[self.pos:self.pos + length]).decode("utf-8")
        self.pos += length
        return text

    def value(self, kind):
        if kind in _SCALARS:
            return self.take(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.take("<I"), self.take("<Q")
            if item_kind in _SCALARS and item_kind != 7:
                dtype = np.dtype(_SCALARS[item_kind])
                values = np.frombuffer(self.data, dtype, count, self.pos).tolist()
                self.pos += dtype.itemsize * count
                return values
            return [self.value(item_kind) for _ in range(count)]
        raise ValueError(f"unknown GGUF value type {kind}")


class GGUFFile:
    """metadata: dict key -> value; tensors: dict name -> numpy array in row-major order with
    the shape reversed from GGUF's (ne[0] innermost), i.e. the PyTorch/HF orientation."""

    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        cur = _Cursor(data)
        if data[:4] != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        cur.pos = 4
        self.version = cur.take("<I")
        if self.version not in (2, 3):
            raise ValueError(f"{path}: GGUF version {self.version} not supported")
        tensor_count, kv_count = cur.take("<Q"), cur.take("<Q")
        self.metadata = {}
        self.metadata_types = {}  # key -> (value type, array item type or None)
        for _ in range(kv_count):
            key = cur.string()
            kind = cur.take("<I")
            item_kind = struct.unpack_from("<I", data, cur.pos)[0] if kind == _ARRAY else None
            self.metadata_types[key] = (kind, item_kind)
            self.metadata[key] = cur.value(kind)
        infos = []
        for _ in range(tensor_count):
            name = cur.string()
            dims = [cur.take("<Q") for _ in range(cur.take("<I"))]
            kind, offset = cur.take("<I"), cur.take("<Q")
            infos.append((name, dims, kind, offset))
        alignment = self.metadata.get("general.alignment", 32)
        start = (cur.pos + alignment - 1) // alignment * alignment
        self.tensors = {}
        self.tensor_types = {}
        for name, dims, kind, offset in infos:
            if kind not in _TENSOR_TYPES:
                raise ValueError(f"tensor {name}: ggml type {kind} not supported")
            count = int(np.prod(dims)) if dims else 1
            array = np.frombuffer(data, _TENSOR_TYPES[kind], count, start + offset)
            self.tensors[name] = array.reshape(list(reversed(dims)))
            self.tensor_types[name] = kind


def _pack_value(kind, item_kind, value):
    if kind in _SCALARS:
        return struct.pack(_SCALARS[kind], value)
    if kind == _STRING:
        raw = value.encode("utf-8")
        return struct.pack("<Q", len(raw)) + raw
    if kind == _ARRAY:
        head = struct.pack("<IQ", item_kind, len(value))
        return head + b"".join(_pack_value(item_kind, None, v) for v in value)
    raise ValueError(f"unknown GGUF value type {kind}")


def write_gguf(path, metadata, metadata_types, tensors):
    """Writes GGUF v3: metadata with the given types, tensors (name -> F32/F16 numpy array in
    the HF orientation) in the given order, 32-byte aligned."""
    alignment = metadata.get("general.alignment", 32)
    kinds = {np.dtype(np.float32): 0, np.dtype(np.float16): 1}
    out = [b"GGUF", struct.pack("<IQQ", 3, len(tensors), len(metadata))]
    for key, value in metadata.items():
        kind, item_kind = metadata_types[key]
        out += [_pack_value(_STRING, None, key), struct.pack("<I", kind)]
        out.append(_pack_value(kind, item_kind, value))
    blobs, offset = [], 0
    for name, array in tensors.items():
        dims = list(reversed(array.shape))
        out += [_pack_value(_STRING, None, name), struct.pack("<I", len(dims))]
        out += [struct.pack("<Q", d) for d in dims]
        out.append(struct.pack("<IQ", kinds[array.dtype], offset))
        raw = np.ascontiguousarray(array).tobytes()
        raw += b"\0" * (-len(raw) % alignment)
        blobs.append(raw)
        offset += len(raw)
    head = b"".join(out)
    head += b"\0" * (-len(head) % alignment)
    with open(path, "wb") as f:
        f.write(head)
        for blob in blobs:
            f.write(blob)
