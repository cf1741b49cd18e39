"""checker.core.wire: plain data and arrays across the process boundary, never pickle;
every read bounded in size and in time."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from checker.core import wire


def round_trip(value, kept=None):
    buffers: list[bytes] = []
    return wire.decode(wire.encode(value, buffers), buffers, kept)


def test_wire_round_trips_plain_data_and_arrays():
    value = {
        "ints": np.arange(6, dtype=np.int32).reshape(2, 3),
        "floats": np.array([[0.5, np.nan], [np.inf, -1e300]]),
        "bools": np.array([True, False]),
        "complex": np.array([1 + 2j]),
        "empty": np.zeros((0, 4)),
        "scalars": (np.float32(1.5), np.int64(-3), np.bool_(True), 2.5, float("nan"), 7),
        3: [None, True, "text", (1, (2, 3))],
    }
    back = round_trip(value)
    assert set(back) == set(value)
    for key in ("ints", "floats", "bools", "complex", "empty"):
        assert back[key].dtype == value[key].dtype and back[key].shape == value[key].shape
        np.testing.assert_array_equal(back[key], value[key])
    assert back["floats"].flags.writeable
    f32, i64, flag, plain, nan, seven = back["scalars"]
    assert type(f32) is np.float32 and f32 == 1.5
    assert type(i64) is np.int64 and i64 == -3
    assert type(flag) is np.bool_ and flag
    assert type(plain) is float and plain == 2.5
    assert type(nan) is float and np.isnan(nan)
    assert seven == 7 and type(seven) is int
    assert back[3] == [None, True, "text", (1, (2, 3))]


def test_wire_over_a_pipe():
    read, write = os.pipe()
    try:
        buffers: list[bytes] = []
        message = {"value": wire.encode((np.eye(3), {"k": 1.0}), buffers)}
        wire.send(write, message, buffers)
        received, data = wire.receive(read, limit=1 << 20)
        matrix, extra = wire.decode(received["value"], data)
        np.testing.assert_array_equal(matrix, np.eye(3))
        assert extra == {"k": 1.0}
    finally:
        os.close(read)
        os.close(write)


def test_wire_refuses_a_message_over_the_limit():
    read, write = os.pipe()
    try:
        buffers: list[bytes] = []
        wire.send(write, {"value": wire.encode(np.zeros(1000), buffers)}, buffers)
        with pytest.raises(wire.WireError, match="over the limit"):
            wire.receive(read, limit=1000)
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.parametrize(
    "value",
    [
        np.array([object()], dtype=object),
        object(),
        {1, 2},
        np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
        lambda: None,
        b"bytes",
    ],
)
def test_wire_refuses_objects_without_a_keeper(value):
    with pytest.raises(wire.WireError):
        wire.encode(value, [])


@pytest.mark.parametrize(
    "data",
    [
        {"array": 0, "dtype": "|O", "shape": [1]},
        {"array": 0, "dtype": "<f8", "shape": [3]},  # the buffer holds 2 floats, not 3
        {"array": 0, "dtype": "<f8", "shape": [1]},
        {"array": 0, "dtype": [["a", "<f8"]], "shape": [2]},
        {"pickle": "gASVAAAAAAAAAAA="},
        {"float": "1.0", "extra": 1},
        {"tuple": [1], "x": 1, "y": 2, "z": 3},
        {"array": 5, "dtype": "<f8", "shape": [2]},  # no such buffer
        {"array": 0, "dtype": "<f8", "shape": [0, -5]},
        {"array": 0, "dtype": "<f8", "shape": [1 << 40, 1 << 40]},  # 2**80 entries wraps to 0
        {"scalar": [1, 2]},
        {"dict": [[1]]},
        {"dict": [[{"tuple": [[1]]}, 1]]},  # an unhashable key
        {"handle": "not a number"},
        42.5,
    ],
)
def test_wire_refuses_malformed_or_unsafe_data(data):
    buffers = [np.zeros(2).tobytes()]
    with pytest.raises(wire.WireError):
        wire.decode(data, buffers)


def test_wire_refuses_nesting_too_deep_for_the_grader():
    data: list = []
    for _ in range(100_000):
        data = [data]
    with pytest.raises(wire.WireError):
        wire.decode(data, [])


@pytest.mark.parametrize(
    "header",
    [
        b'"just a string"',
        b"[1, 2]",
        b"{}",
        b"{not json",
        b'{"buffers": [-5, 10]}',
        b'{"buffers": "ab"}',
    ],
)
def test_wire_refuses_a_malformed_header(header):
    read, write = os.pipe()
    try:
        os.write(write, len(header).to_bytes(8, "little") + header + bytes(16))
        with pytest.raises(wire.WireError):
            wire.receive(read, limit=1 << 20)
    finally:
        os.close(read)
        os.close(write)


def test_wire_refuses_a_pickle_in_the_header():
    import pickle

    smuggled = {"value": {"pickle": pickle.dumps(np.zeros(2)).hex()}}
    with pytest.raises(wire.WireError):
        wire.decode(smuggled["value"], [])


def test_wire_refuses_dictionary_keys_that_are_not_plain():
    buffers: list[bytes] = []
    data = {"dict": [[wire.encode(np.zeros(1), buffers), 1]]}
    with pytest.raises(wire.WireError):
        wire.decode(data, buffers)


def test_wire_handles_stay_where_they_were_made():
    kept: dict[int, object] = {}
    cache = object()
    buffers: list[bytes] = []
    sent = wire.encode({"cache": cache, "x": 1.0}, buffers, kept)  # the worker's side
    received = wire.decode(sent, buffers)  # the grader's side: an opaque handle
    assert isinstance(received["cache"], wire.Handle) and received["x"] == 1.0
    back_buffers: list[bytes] = []
    returned = wire.encode(received["cache"], back_buffers)  # passed back to the worker
    assert wire.decode(returned, back_buffers, kept) is cache
    with pytest.raises(wire.WireError, match="restarted"):
        wire.decode({"handle": 12345}, [], {})


def test_wire_gives_a_read_a_deadline_even_in_the_middle_of_a_message():
    read, write = os.pipe()
    try:
        os.write(write, (100).to_bytes(8, "little") + b'{"value"')  # and then nothing
        started = time.monotonic()
        with pytest.raises(wire.WireTimeout):
            wire.receive(read, limit=1 << 20, deadline=time.monotonic() + 0.3)
        assert time.monotonic() - started < 2
    finally:
        os.close(read)
        os.close(write)


def test_wire_refuses_a_header_over_its_own_limit_before_reading_it():
    read, write = os.pipe()
    try:
        os.write(write, (500 << 20).to_bytes(8, "little") + b"[[[[")
        with pytest.raises(wire.WireError, match="header"):
            wire.receive(read, limit=1 << 30, deadline=time.monotonic() + 5)
    finally:
        os.close(read)
        os.close(write)


def test_wire_sends_an_array_without_copying_it_and_receives_it_writeable():
    array = np.arange(1_000_000, dtype=np.float64)
    buffers: list = []
    data = wire.encode(array, buffers)
    assert np.shares_memory(np.frombuffer(buffers[0], dtype=np.uint8), array)
    read, write = os.pipe()
    sender = threading.Thread(target=wire.send, args=(write, {"value": data}, buffers))
    sender.start()
    try:
        message, received = wire.receive(read, limit=1 << 30, deadline=time.monotonic() + 30)
    finally:
        sender.join()
        os.close(read)
        os.close(write)
    back = wire.decode(message["value"], received)
    assert back.flags.writeable and np.array_equal(back, array)
