"""Attention, timed: the reference's exact and tiled attention side by side.

    python -m benchmarks.attention            # the full table, under three minutes on 2 cores
    python -m benchmarks.attention --quick    # the two smaller sizes only

One process, one thread (set below, before NumPy loads its BLAS). For each size and dtype
it times the reference (solutions/day16_attention) exact and tiled, causal and not, against
(a) a straightforward NumPy version (scores, softmax, product, nothing more), (b) this
machine's square matrix-product throughput measured in the same run (the reference's
GFLOP/s over 4·B·H·T²·D as a share of it), (c) torch.nn.functional.scaled_dot_product_attention
when PyTorch happens to be installed (never a dependency); then (d) the peak memory of exact
and tiled at T = 4096 and 8192. Times are the process's CPU time (one thread, so the time
it computed, not the time it waited for a busy machine's cores), best of a few runs; results
are ratios, since absolute times drift; every version's numbers are checked against the
others.

The reference computes in float64 whatever it is given (its docstrings promise float64
results), so its float32 rows measure float32 inputs converted to float64; the naive and
PyTorch versions stay in float32 there.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread: the targets are per core

import argparse  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from checker.core.layout import REFERENCE  # noqa: E402

SIZES = [(4, 8, 128, 64), (4, 8, 512, 64), (1, 8, 2048, 64), (1, 4, 4096, 64)]
DTYPES = (np.float64, np.float32)
MEMORY_T = (4096, 8192)
BLOCK = 64
BUDGET = 1.0  # seconds of repeats per timing: best of up to REPEATS runs within it ...
REPEATS = 3
MIN_RUNS = 2  # ... but never one alone: a first call pays the page faults of fresh memory


def reference():
    """The reference module, solutions/day16_attention/attention.py, as a package import."""
    sys.path.insert(0, str(REFERENCE.parent))
    return importlib.import_module(f"{REFERENCE.name}.day16_attention.attention")


def naive(q, k, v, causal=False):
    """Scores, softmax, product: what anyone writes first (in the inputs' dtype)."""
    T, S, D = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(D)  # (B, H, T, S)
    if causal:
        scores = np.where(np.tri(T, S, dtype=bool), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) @ v  # (B, H, T, D)


def torch_sdpa() -> Callable | None:
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    torch.set_num_threads(1)

    def sdpa(q, k, v, causal=False):
        q, k, v = (torch.from_numpy(a) for a in (q, k, v))
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return out.numpy()

    return sdpa


def best_time(function: Callable, *args, **kwargs) -> tuple[float, object]:
    """(fastest seconds, last result) of MIN_RUNS to REPEATS calls within about BUDGET
    seconds."""
    best, spent, result = math.inf, 0.0, None
    for run in range(REPEATS):
        start = time.process_time()  # CPU time: on a shared machine, waiting is not counted
        result = function(*args, **kwargs)
        took = time.process_time() - start
        best, spent = min(best, took), spent + took
        if spent > BUDGET and run + 1 >= MIN_RUNS:
            break
    return best, result


def matmul_gflops(dtype, n=1024) -> float:
    """This machine's square matrix-product throughput, one thread, GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, n, n)).astype(dtype)
    seconds, _ = best_time(np.matmul, a, b)
    return 2 * n**3 / seconds / 1e9


def peak_mib(function: Callable, *args, **kwargs) -> float:
    """MiB that NumPy and Python held at once during the call, beyond the inputs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        function(*args, **kwargs)
        return (tracemalloc.get_traced_memory()[1] - base) / 2**20
    finally:
        tracemalloc.stop()


def agree(a, b, dtype) -> float:
    """Largest difference, relative to the outputs' scale; raises if versions disagree."""
    diff = float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))
    scale = float(np.max(np.abs(b))) or 1.0
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    if diff > tolerance * scale:
        raise SystemExit(f"versions disagree: max difference {diff:.3g} (scale {scale:.3g})")
    return diff / scale


def time_size(att, torch_fn, shape, dtype, peak) -> dict:
    B, H, T, D = shape
    rng = np.random.default_rng(T)
    q, k, v = rng.standard_normal((3, B, H, T, D)).astype(dtype)
    mask = np.tri(T, dtype=bool)
    row = {}
    row["exact"], exact = best_time(lambda: att.scaled_dot_product_attention(q, k, v)[0])
    row["exact_causal"], exact_c = best_time(
        lambda: att.scaled_dot_product_attention(q, k, v, mask)[0]
    )
    row["tiled"], tiled = best_time(att.flash_attention, q, k, v, False, BLOCK)
    row["tiled_causal"], tiled_c = best_time(att.flash_attention, q, k, v, True, BLOCK)
    row["naive"], plain = best_time(naive, q, k, v)
    row["naive_causal"], plain_c = best_time(naive, q, k, v, True)
    row["error"] = max(
        agree(exact, plain, dtype),
        agree(tiled, exact, np.float64),
        agree(exact_c, plain_c, dtype),
        agree(tiled_c, exact_c, np.float64),
    )
    if torch_fn is not None:
        row["torch"], theirs = best_time(torch_fn, q, k, v)
        row["torch_causal"], theirs_c = best_time(torch_fn, q, k, v, True)
        row["error"] = max(
            row["error"], agree(theirs, exact, dtype), agree(theirs_c, exact_c, dtype)
        )
    row["share"] = 4 * B * H * T * T * D / row["exact"] / 1e9 / peak
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.attention", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the two smaller sizes only")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    att = reference()
    torch_fn = torch_sdpa()
    peaks = {dtype: matmul_gflops(dtype) for dtype in DTYPES}
    print("attention, one thread; times in ms, ratios against the reference's exact attention")
    print(
        "matrix product (1024², one thread): "
        + ", ".join(f"{np.dtype(d).name} {peaks[d]:.1f} GFLOP/s" for d in DTYPES)
    )
    print("PyTorch: " + ("installed" if torch_fn else "not installed (column left out)"))
    print("float32 rows: the reference computes in float64 (its contract); naive stays float32")
    print("times are CPU time of this one-thread process, best of 2 or 3 runs")
    print()
    head = (
        f"{'B, H, T, D':>18} {'dtype':>7} {'exact':>8} {'share':>6} {'naive/':>7} "
        f"{'tiled/':>7} {'causal':>7} {'tiled c':>8} {'speedup':>8} {'err':>8}"
    )
    sub = (
        f"{'':>18} {'':>7} {'ms':>8} {'of mm':>6} {'exact':>7} {'exact':>7} {'ms':>7} "
        f"{'ms':>8} {'causal':>8} {'':>8}"
    )
    if torch_fn:
        head += f" {'exact/':>7} {'tiled/':>7} {'tiled c/':>9}"
        sub += f" {'torch':>7} {'torch':>7} {'torch c':>9}"
    print(head)
    print(sub)
    rows = {}
    for shape in SIZES[:2] if args.quick else SIZES:
        for dtype in DTYPES:
            row = rows[shape, dtype] = time_size(att, torch_fn, shape, dtype, peaks[dtype])
            line = (
                f"{str(shape):>18} {np.dtype(dtype).name:>7} {row['exact'] * 1e3:8.1f} "
                f"{row['share']:6.0%} {row['naive'] / row['exact']:7.2f} "
                f"{row['tiled'] / row['exact']:7.2f} {row['exact_causal'] * 1e3:7.1f} "
                f"{row['tiled_causal'] * 1e3:8.1f} {row['tiled'] / row['tiled_causal']:8.2f} "
                f"{row['error']:8.1e}"
            )
            if torch_fn:
                line += (
                    f" {row['exact'] / row['torch']:7.2f} {row['tiled'] / row['torch']:7.2f} "
                    f"{row['tiled_causal'] / row['torch_causal']:9.2f}"
                )
            print(line, flush=True)
    print()
    print("peak memory beyond the inputs, (B, H) = (1, 1), D = 64, float64, MiB")
    memory = {}
    for T in () if args.quick else MEMORY_T:
        rng = np.random.default_rng(T)
        q, k, v = rng.standard_normal((3, 1, 1, T, 64))
        exact = peak_mib(att.scaled_dot_product_attention, q, k, v)
        tiled = peak_mib(att.flash_attention, q, k, v, False, BLOCK)
        memory[T] = (exact, tiled)
        print(
            f"  T = {T:5}: exact {exact:8.1f}   tiled {tiled:6.1f}   tiled/exact {tiled / exact:6.2%}"
        )
    print()
    print("the issue's targets (one run, one thread):")
    for line in targets(rows, memory, torch_fn is not None):
        print("  " + line)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


def targets(rows, memory, have_torch) -> list[str]:
    def mark(ok):
        return "met    " if ok else "NOT met"

    out = []
    shares = [r["share"] for (shape, d), r in rows.items() if shape[2] >= 512 and d == np.float64]
    if shares:
        out.append(
            f"{mark(min(shares) >= 0.6)} exact >= 60% of the matrix-product throughput at "
            f"T >= 512 (float64): {min(shares):.0%} .. {max(shares):.0%}"
        )
    big = rows.get(((1, 4, 4096, 64), np.float64))
    if big:
        speedup = big["tiled"] / big["tiled_causal"]
        out.append(
            f"{mark(speedup >= 1.8)} causal tiled >= 1.8x faster than full at T = 4096: {speedup:.2f}x"
        )
    mid = rows.get(((1, 8, 2048, 64), np.float64))
    if mid:
        ratio = mid["tiled"] / mid["exact"]
        out.append(f"{mark(ratio <= 1.2)} tiled within 1.2x of exact at T = 2048: {ratio:.2f}x")
    if 8192 in memory:
        exact, tiled = memory[8192]
        out.append(
            f"{mark(tiled / exact < 0.02)} tiled peak < 2% of exact's at T = 8192: {tiled / exact:.2%}"
        )
    if have_torch:
        for dtype, limit in ((np.float64, 1.0), (np.float32, 1.25)):
            # the reference's faster version at each size against PyTorch's, causal and not
            worst = max(
                min(r[a + c] for a in ("exact", "tiled")) / r["torch" + c]
                for (s, d), r in rows.items()
                if d == dtype
                for c in ("", "_causal")
            )
            out.append(
                f"{mark(worst <= limit)} <= {limit}x PyTorch's time in {np.dtype(dtype).name} "
                f"(the faster of exact and tiled): worst {worst:.2f}x"
            )
    else:
        out.append("n/a     against PyTorch: not installed here")
    return out


if __name__ == "__main__":
    sys.exit(main())
