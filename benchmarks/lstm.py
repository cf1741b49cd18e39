"""The LSTM kernel, timed: the reference's lstm_forward / lstm_backward side by side.

    python -m benchmarks.lstm            # the full table, under two minutes on 2 cores
    python -m benchmarks.lstm --quick    # the smaller size only

One process, one thread (set below, before NumPy loads its BLAS). For each size (B, T, D, H)
and dtype it times the reference (solutions/day10_lstm), forward and forward + backward,
against (a) a plain per-gate NumPy LSTM (each gate its own slices of the weights, four
products per step for x and four for h, the backward gate by gate), (b) the matrix products
alone at the same sizes: the same products the reference makes, with nothing else, which is
the practical limit for NumPy, (c) torch.nn.LSTM with the same weights, when PyTorch happens
to be installed (never a dependency). Times are the process's CPU time (one thread, so the
time it computed, not the time it waited for a busy machine's cores), best of a few runs;
results are ratios, since absolute times drift. Every version's numbers are checked against
the reference's.
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
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from checker.core.layout import REFERENCE  # noqa: E402

SIZES = [(32, 128, 128, 256), (16, 256, 64, 128)]  # (B, T, D, H), from the issue
DTYPES = (np.float64, np.float32)
BUDGET = 2.0  # seconds of repeats per timing: best of up to REPEATS runs within it
REPEATS = 3
# the targets for the reference: forward within 1.5x the products alone at H = 256;
# against PyTorch's CPU LSTM, forward + backward within 0.85x (float64) and 1.3x (float32),
# forward within 1.1x (float64) and 1.5x (float32)
TARGETS = {
    "fwd / products": {np.float64: 1.5, np.float32: 1.5},
    "fwd / torch": {np.float64: 1.1, np.float32: 1.5},
    "fwd+bwd / torch": {np.float64: 0.85, np.float32: 1.3},
}


def reference():
    """The reference module, solutions/day10_lstm/lstm.py, as a package import."""
    sys.path.insert(0, str(REFERENCE.parent))
    return importlib.import_module(f"{REFERENCE.name}.day10_lstm.lstm")


def best_time(function: Callable, *args) -> tuple[float, object]:
    """(fastest CPU seconds, last result) of up to REPEATS calls within about BUDGET seconds."""
    best, spent, result = math.inf, 0.0, None
    for _ in range(REPEATS):
        start = time.process_time()  # CPU time: on a shared machine, waiting is not counted
        result = function(*args)
        took = time.process_time() - start
        best, spent = min(best, took), spent + took
        if spent > BUDGET:
            break
    return best, result


# ------------------------------------------------------------------ (a) the plain per-gate LSTM


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gate_slices(H):
    return [slice(k * H, (k + 1) * H) for k in range(4)]  # i, f, g, o


def per_gate_forward(x, h0, c0, Wx, Wh, b):
    """Each gate from its own slices of the weights, one step after another."""
    B, T, _ = x.shape
    H = h0.shape[1]
    cols = gate_slices(H)
    hs, cs, steps = np.empty((B, T, H), x.dtype), np.empty((B, T, H), x.dtype), []
    h, c = h0, c0
    for t in range(T):
        pre = [x[:, t] @ Wx[:, k] + h @ Wh[:, k] + b[k] for k in cols]
        i, f, g, o = sigmoid(pre[0]), sigmoid(pre[1]), np.tanh(pre[2]), sigmoid(pre[3])
        steps.append((h, c, i, f, g, o))
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[:, t], cs[:, t] = h, c
    return hs, cs, (x, Wx, Wh, steps)


def per_gate_backward(dhs, cache):
    """Backpropagation through time, gate by gate, the weight gradients summed per step."""
    x, Wx, Wh, steps = cache
    H = Wh.shape[0]
    cols = gate_slices(H)
    dx = np.empty_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H, x.dtype)
    dh_next = dc_next = np.zeros_like(steps[0][0])
    for t in reversed(range(x.shape[1])):
        h_prev, c_prev, i, f, g, o = steps[t]
        tanh_c = np.tanh(f * c_prev + i * g)
        dh = dhs[:, t] + dh_next
        dc = dc_next + dh * o * (1 - tanh_c**2)
        d_pre = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2)]
        d_pre.append(dh * tanh_c * o * (1 - o))
        dx[:, t], dh_next = 0, 0
        for k, dk in zip(cols, d_pre):
            dx[:, t] += dk @ Wx[:, k].T
            dh_next = dh_next + dk @ Wh[:, k].T
            dWx[:, k] += x[:, t].T @ dk
            dWh[:, k] += h_prev.T @ dk
            db[k] += dk.sum(axis=0)
        dc_next = dc * f
    return dx, dh_next, dc_next, dWx, dWh, db


# ------------------------------------------------------------------ (b) the products alone


def products_forward(x, h, Wx, Wh):
    """The reference forward's matrix products and nothing else."""
    B, T, D = x.shape
    x.reshape(B * T, D) @ Wx  # the hoisted input projection
    for _ in range(T):
        h @ Wh  # one fused (B, H) @ (H, 4H) per step


def products_backward(x, hs, da, Wx, Wh):
    """The reference backward's matrix products and nothing else."""
    B, T, D = x.shape
    H = hs.shape[2]
    for t in range(T):
        da[:, t] @ Wh.T  # (B, 4H) @ (4H, H) per step
    flat = da.reshape(B * T, 4 * H)
    flat @ Wx.T  # dx
    x.reshape(B * T, D).T @ flat  # dWx
    hs.reshape(B * T, H).T @ flat  # dWh


# ------------------------------------------------------------------ (c) PyTorch, if present


def torch_lstm() -> Callable | None:
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    torch.set_num_threads(1)

    def make(x, h0, c0, Wx, Wh, b):
        """forward() and forward_backward(dhs) of torch.nn.LSTM holding the same weights."""
        D, H = Wx.shape[0], Wh.shape[0]
        dtype = torch.float64 if x.dtype == np.float64 else torch.float32
        lstm = torch.nn.LSTM(D, H, batch_first=True).to(dtype)
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(torch.from_numpy(Wx.T.copy()))
            lstm.weight_hh_l0.copy_(torch.from_numpy(Wh.T.copy()))
            lstm.bias_ih_l0.copy_(torch.from_numpy(b))
            lstm.bias_hh_l0.zero_()
        state = (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None])

        def forward():
            with torch.no_grad():
                return lstm(torch.from_numpy(x), state)[0].numpy()

        def forward_backward(dhs):
            xt = torch.from_numpy(x).requires_grad_()
            lstm.zero_grad()
            lstm(xt, state)[0].backward(torch.from_numpy(dhs))
            return xt.grad.numpy(), lstm.weight_hh_l0.grad.numpy().T

        return forward, forward_backward

    return make


# ------------------------------------------------------------------ the table


def agree(a, b, dtype, what) -> float:
    """Largest difference relative to the scale of b; stops the run if versions disagree."""
    diff = float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))
    scale = float(np.max(np.abs(b))) or 1.0
    tolerance = 1e-9 if dtype == np.float64 else 1e-3
    if diff > tolerance * scale:
        raise SystemExit(f"{what}: versions disagree, max difference {diff:.3g} ({scale:.3g})")
    return diff / scale


def case(shape, dtype):
    B, T, D, H = shape
    rng = np.random.default_rng(T)
    arrays = (
        rng.standard_normal((B, T, D)),
        0.5 * rng.standard_normal((B, H)),
        0.5 * rng.standard_normal((B, H)),
        rng.standard_normal((D, 4 * H)) / np.sqrt(D),
        rng.standard_normal((H, 4 * H)) / np.sqrt(H),
        0.1 * rng.standard_normal(4 * H),
        rng.standard_normal((B, T, H)),
    )
    return tuple(a.astype(dtype) for a in arrays)


def time_size(ref, make_torch, shape, dtype) -> dict:
    x, h0, c0, Wx, Wh, b, dhs = case(shape, dtype)
    row = {}

    def fwd_bwd(forward, backward):
        hs, _, cache = forward(x, h0, c0, Wx, Wh, b)
        return hs, backward(dhs, cache)

    row["fwd"], (hs, _, _) = best_time(ref.lstm_forward, x, h0, c0, Wx, Wh, b)
    row["fwd+bwd"], (_, grads) = best_time(fwd_bwd, ref.lstm_forward, ref.lstm_backward)
    row["gate fwd"], (hs_gate, _, _) = best_time(per_gate_forward, x, h0, c0, Wx, Wh, b)
    row["gate fwd+bwd"], (_, grads_gate) = best_time(fwd_bwd, per_gate_forward, per_gate_backward)
    da = np.ones((*x.shape[:2], Wx.shape[1]), dtype)  # (B, T, 4H)
    row["prod fwd"], _ = best_time(products_forward, x, h0, Wx, Wh)
    prod_bwd, _ = best_time(products_backward, x, hs, da, Wx, Wh)
    row["prod fwd+bwd"] = row["prod fwd"] + prod_bwd
    error = agree(hs_gate, hs, dtype, "per-gate hs")
    for name, mine, theirs in zip(("dx", "dh0", "dc0", "dWx", "dWh", "db"), grads, grads_gate):
        error = max(error, agree(theirs, mine, dtype, f"per-gate {name}"))
    if make_torch is not None:
        forward, forward_backward = make_torch(x, h0, c0, Wx, Wh, b)
        row["torch fwd"], hs_torch = best_time(forward)
        row["torch fwd+bwd"], (dx_torch, dWh_torch) = best_time(forward_backward, dhs)
        error = max(error, agree(hs_torch, hs, dtype, "torch hs"))
        error = max(error, agree(dx_torch, grads[0], dtype, "torch dx"))
        error = max(error, agree(dWh_torch, grads[4], dtype, "torch dWh"))
    row["error"] = error
    return row


def ratio_lines(shape, dtype, row) -> list[str]:
    name = np.dtype(dtype).name
    lines = [f"(B, T, D, H) = {shape}, {name}"]
    for part in ("fwd", "fwd+bwd"):
        cells = [
            f"  {part:8s} reference {row[part] * 1e3:8.1f} ms",
            f"per-gate / ref {row['gate ' + part] / row[part]:5.2f}",
            f"ref / products {row[part] / row['prod ' + part]:5.2f}",
        ]
        if "torch " + part in row:
            cells.append(f"ref / torch {row[part] / row['torch ' + part]:5.2f}")
            # the products alone against PyTorch: below this no NumPy kernel can go
            cells.append(f"products / torch {row['prod ' + part] / row['torch ' + part]:5.2f}")
        lines.append("   ".join(cells))
    lines.append(f"  largest difference between versions (relative): {row['error']:.1e}")
    return lines


def target_lines(results) -> list[str]:
    lines = ["targets (the reference, one thread):"]
    for (shape, dtype), row in results.items():
        name = np.dtype(dtype).name
        checks = {"fwd / products": row["fwd"] / row["prod fwd"]} if shape[3] == 256 else {}
        if "torch fwd" in row:
            checks["fwd / torch"] = row["fwd"] / row["torch fwd"]
            checks["fwd+bwd / torch"] = row["fwd+bwd"] / row["torch fwd+bwd"]
        for what, value in checks.items():
            bound = TARGETS[what][dtype]
            verdict = "met" if value <= bound else "MISSED"
            lines.append(f"  {shape} {name:7s} {what:15s} {value:5.2f} <= {bound:4.2f}: {verdict}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lstm", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the smaller size only")
    args = parser.parse_args(argv)
    ref, make_torch = reference(), torch_lstm()
    start = time.perf_counter()
    print("LSTM kernel, one thread; times are CPU time, best of up to 3 runs")
    print("PyTorch:", "installed, compared" if make_torch else "not installed, left out")
    results = {}
    for shape in SIZES[1:] if args.quick else SIZES:
        for dtype in DTYPES:
            results[shape, dtype] = row = time_size(ref, make_torch, shape, dtype)
            print("\n".join(ratio_lines(shape, dtype, row)), flush=True)
    print("\n".join(target_lines(results)))
    print(f"every version computed the same numbers; {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
