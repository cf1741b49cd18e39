"""Move data between the grader and a learner's worker process, safely.

The worker runs untrusted code, so nothing it sends may execute in the grader: no
pickle. A message is JSON plus raw array buffers, framed with lengths:

    [8-byte header length][JSON header, listing the buffers' lengths][buffer] ...

The receiving side bounds what it reads (the header, and the whole message) and how
long it waits for each part, since the sender may be hostile.

Values that cross: None, bool, int, float, str, lists, tuples, dicts, NumPy arrays
of numeric or bool dtype, and NumPy scalars. Anything else stays on the side that
made it, behind a Handle (a forward pass's cache, say), and is only ever passed back.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

SAFE_DTYPE_KINDS = "biufc"  # bool, ints, unsigned, floats, complex: never objects
_LENGTH = struct.Struct("<Q")
MAX_HEADER = 16 << 20  # the JSON part; arrays travel as raw buffers beside it


class WireError(ValueError):
    """A message that is malformed, too large, or holds a value that may not cross."""


@dataclass(frozen=True)
class Handle:
    """An opaque value that stays in the worker; it can only be passed back."""

    id: int


def encode(value: Any, buffers: list, keep: dict[int, Any] | None = None) -> Any:
    """`value` as JSON-able data; arrays go to `buffers`. Unknown objects become handles
    kept in `keep` when it is given (the worker), and are refused otherwise."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float) and not isinstance(value, np.generic):
        return {"float": repr(value)} if isinstance(value, float) else value
    if isinstance(value, np.generic) and value.dtype.kind in SAFE_DTYPE_KINDS:
        return {"scalar": encode(np.asarray(value), buffers, keep)}
    if isinstance(value, np.ndarray) and value.dtype.kind in SAFE_DTYPE_KINDS:
        raw = np.ascontiguousarray(value).reshape(-1).view(np.uint8)  # its bytes, not a copy
        buffers.append(memoryview(raw))
        return {"array": len(buffers) - 1, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, list):
        return [encode(v, buffers, keep) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(v, buffers, keep) for v in value]}
    if isinstance(value, dict):
        return {
            "dict": [[encode(k, buffers, keep), encode(v, buffers, keep)] for k, v in value.items()]
        }
    if isinstance(value, Handle):
        return {"handle": value.id}
    if keep is not None:
        keep[id(value)] = value
        return {"handle": id(value)}
    raise WireError(f"a {type(value).__name__} cannot be passed to or from the learner's code")


def decode(data: Any, buffers: list[bytes], kept: dict[int, Any] | None = None) -> Any:
    """The inverse of encode. With `kept` (the worker), handles become their objects.

    The data may come from the learner's process: anything malformed (a wrong type, a
    missing field, a buffer that is not there, nesting too deep) is a WireError."""
    try:
        return _decode(data, buffers, kept)
    except WireError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as error:
        raise WireError(f"malformed message ({type(error).__name__})") from None


def _decode(data: Any, buffers: list[bytes], kept: dict[int, Any] | None) -> Any:
    if data is None or isinstance(data, bool | int | str):
        return data
    if isinstance(data, list):
        return [_decode(v, buffers, kept) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 3):
        raise WireError("malformed message")
    if "float" in data:
        return float(data["float"])
    if "scalar" in data:
        return _decode(data["scalar"], buffers, kept)[()]
    if "array" in data:
        return _array(data, buffers)
    if "tuple" in data:
        return tuple(_decode(v, buffers, kept) for v in data["tuple"])
    if "dict" in data:
        return {_key(_decode(k, buffers, kept)): _decode(v, buffers, kept) for k, v in data["dict"]}
    if "handle" in data:
        if kept is None:
            return Handle(int(data["handle"]))
        if data["handle"] not in kept:
            raise WireError("a value from before the worker restarted was used again")
        return kept[data["handle"]]
    raise WireError("malformed message")


def _key(key: Any) -> Any:
    if isinstance(key, list | dict | np.ndarray):
        raise WireError("dictionary keys must be plain values")
    return key


def _array(data: dict, buffers: list[bytes]) -> np.ndarray:
    dtype = np.dtype(str(data["dtype"]))
    if dtype.kind not in SAFE_DTYPE_KINDS or dtype.fields is not None:
        raise WireError(f"arrays of dtype {dtype} may not cross")
    shape = tuple(int(n) for n in data["shape"])
    buffer = buffers[int(data["array"])]
    if memoryview(buffer).nbytes != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise WireError("an array's buffer does not match its shape")
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape)
    # A bytearray received from a pipe is ours alone: use it in place, writeable, no copy.
    return array if array.flags.writeable else array.copy()


class WireTimeout(TimeoutError):
    """The other side did not finish a message before the deadline."""


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytearray:
    """`size` bytes from `fd`, waiting at most until `deadline` (time.monotonic) for each."""
    data, got = bytearray(size), 0
    view = memoryview(data)
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise WireTimeout("the other side stopped in the middle of a message")
        chunk = os.readv(fd, [view[got : got + min(size - got, 1 << 20)]])
        if not chunk:
            raise EOFError("the other side closed the connection")
        got += chunk
    return data


def send(fd: int, message: dict, buffers: list) -> None:
    """Write one message: its header, then each buffer as it is (never one joined copy)."""
    header = json.dumps({**message, "buffers": [memoryview(b).nbytes for b in buffers]}).encode()
    for part in (_LENGTH.pack(len(header)) + header, *buffers):
        view = memoryview(part).cast("B")
        while view:
            view = view[os.write(fd, view) :]


def receive(
    fd: int, limit: int, deadline: float | None = None, header_limit: int = MAX_HEADER
) -> tuple[dict, list[bytearray]]:
    """One message; WireError if its header is over `header_limit` bytes or the whole over
    `limit`, WireTimeout if it is not all there by `deadline` (time.monotonic)."""
    (size,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size, deadline))
    if size > min(limit, header_limit):
        raise WireError(f"a message header of {size} bytes is over the limit")
    try:
        message = json.loads(_read_exactly(fd, size, deadline))
        lengths = [int(n) for n in message.pop("buffers")]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise WireError("malformed message") from error
    if not isinstance(message, dict) or any(n < 0 for n in lengths):
        raise WireError("malformed message")
    if size + sum(lengths) > limit:
        raise WireError(f"a message of {size + sum(lengths)} bytes is over the limit of {limit}")
    return message, [_read_exactly(fd, n, deadline) for n in lengths]
