"""The capstone's child process: train a tiny GPT built only from a learner's functions.

    python -m checker.learner.capstone_train < settings.json

Started by checker.learner.capstone, never imported by the checker's own process (it runs
learner code). It imports the learner's tree the way checker.core.loader does (no day is
swapped for the reference), trains on the course's corpus and writes one JSON object a line
to the stdout it was started with, flushed as it goes:

    {"event": "ready", "n_params": P, "vocab_size": V, "characters": N}
    {"event": "sample", "when": "before" | "after", "text": "...", "seconds": s}
    {"event": "step", "step": k, "steps": n, "loss": x, "seconds": s}
    {"event": "done", "seconds": s}
    {"event": "error", "kind": "import" | "raised" | "wrong" | "hang", "function": name,
     "step": k or null, "message": "..."}

What the learner's code prints goes to stderr, so it can never corrupt the stream. A call
into the learner's code that runs longer than the settings' "call_timeout" is reported by a
watchdog thread as a hang naming the function, and the process ends (the parent has a
watchdog of its own for code that never returns to Python).
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

from checker.core.corpus import corpus_text, decode, encode, vocabulary
from checker.core.i18n import msg, set_language
from checker.core.loader import LearnerImportError, learner_frame, load_module

WARMUP = 20  # steps of linear learning-rate warm-up, then a cosine decay to a tenth


class Failed(Exception):
    """A learner function raised or returned something unusable: the error event to send."""

    def __init__(self, kind: str, function: str, message: str):
        super().__init__(message)
        self.event = {"event": "error", "kind": kind, "function": function, "message": message}


class Learner:
    """The learner's functions, each call timed by a watchdog and its failure described."""

    def __init__(
        self, tree: Path, reference: Path, modules: dict[str, str], call_timeout: float, emit
    ):
        """modules: each function's module in the tree ("day21_gpt2.gpt2"), as the parent
        read them from the catalogue."""
        self.tree, self.emit, self.call_timeout = tree, emit, call_timeout
        self.functions = {}
        for name, module in modules.items():
            try:
                loaded = load_module(module, tree, reference)
            except LearnerImportError as error:
                raise Failed("import", name, str(error)) from None
            if not callable(getattr(loaded, name, None)):
                file = module.replace(".", "/") + ".py"
                raise Failed(
                    "import",
                    name,
                    msg(
                        en=f"{file} has no function {name}",
                        ja=f"{file} に関数 {name} がありません",
                    ),
                )
            self.functions[name] = getattr(loaded, name)
        self.current: tuple[str, float] | None = None
        self.step: int | None = None  # the training step under way (None before and after)
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(0.1)
            current = self.current
            if current and time.monotonic() - current[1] > self.call_timeout:
                name = current[0]
                failure = Failed("hang", name, f"{name} ran for {self.call_timeout:g} s")
                self.emit({**failure.event, "step": self.step})
                os._exit(3)

    def __call__(self, name: str, *args, **kwargs):
        self.current = (name, time.monotonic())
        try:
            return self.functions[name](*args, **kwargs)
        except Exception as error:
            where = learner_frame(error.__traceback__, self.tree)
            raise Failed("raised", name, f"{type(error).__name__}: {error}{where}") from None
        except SystemExit as error:  # the training would end with it: say where it came from
            where = learner_frame(error.__traceback__, self.tree)
            raise Failed(
                "raised",
                name,
                msg(
                    en=f"it called sys.exit({error.code}){where}",
                    ja=f"sys.exit({error.code}) を呼びました{where}",
                ),
            ) from None
        finally:
            self.current = None


def _expect(ok: bool, name: str, what: str) -> None:
    if not ok:
        raise Failed("wrong", name, what)


def _pair(result, name: str, what: str):
    _expect(
        isinstance(result, tuple) and len(result) == 2,
        name,
        msg(en=f"it must return {what}", ja=f"{what} を返す必要があります"),
    )
    return result


def _sample(learner: Learner, params, settings, vocab, prompt_ids) -> str:
    T0, n_new = prompt_ids.shape[1], settings["config"]["max_len"] - prompt_ids.shape[1]
    out = learner(
        "generate",
        params,
        prompt_ids,
        n_new,
        settings["config"]["n_heads"],
        temperature=settings["temperature"],
        seed=settings["seed"],
    )
    out = np.asarray(out)
    _expect(
        out.shape == (1, T0 + n_new) and np.issubdtype(out.dtype, np.integer),
        "generate",
        msg(
            en=f"it must return (B, T0 + n_new) = (1, {T0 + n_new}) integer token ids, not "
            f"{out.dtype} of shape {out.shape}",
            ja=f"(B, T0 + n_new) = (1, {T0 + n_new}) の整数のトークン ID を返す必要がありますが、"
            f"形 {out.shape} の {out.dtype} でした",
        ),
    )
    _expect(
        bool(np.all((out >= 0) & (out < len(vocab)))),
        "generate",
        msg(
            en=f"it returned token ids outside [0, {len(vocab)})",
            ja=f"[0, {len(vocab)}) の外のトークン ID を返しました",
        ),
    )
    return decode(out[0], vocab)


def learning_rate(step: int, steps: int, peak: float) -> float:
    """Warm up linearly for WARMUP steps, then decay along a cosine to peak / 10."""
    if step < WARMUP:
        return peak * (step + 1) / WARMUP
    progress = (step - WARMUP) / max(steps - WARMUP, 1)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(settings: dict, learner: Learner, emit) -> None:
    started = time.monotonic()
    text = corpus_text()
    vocab = vocabulary(text)
    ids = encode(text, vocab)
    config = {**settings["config"], "vocab_size": len(vocab)}
    T, H, B, steps = config["max_len"], config["n_heads"], settings["batch_size"], settings["steps"]
    prompt_ids = encode(settings["prompt"], vocab)[None, :]  # (1, T0)

    params = learner("init_gpt2", config, settings["seed"])
    _expect(
        isinstance(params, dict) and "wte" in params,
        "init_gpt2",
        msg(en="it must return a dict of params", ja="パラメータの dict を返す必要があります"),
    )
    emit(
        {
            "event": "ready",
            "n_params": int(sum(np.size(p) for p in _leaves(params))),
            "vocab_size": len(vocab),
            "characters": len(ids),
        }
    )
    text_before = _sample(learner, params, settings, vocab, prompt_ids)
    emit({"event": "sample", "when": "before", "text": text_before, "seconds": _since(started)})

    rng = np.random.default_rng(settings["seed"])
    state = None
    for step in range(steps):
        learner.step = step + 1
        starts = rng.integers(0, len(ids) - T + 1, size=B)  # (B,)
        batch = ids[starts[:, None] + np.arange(T)]  # (B, T): windows of the corpus
        logits, cache = _pair(
            learner("gpt2_forward", batch, params, H), "gpt2_forward", "(logits, cache)"
        )
        loss, dlogits = _pair(
            learner("next_token_loss", logits, batch), "next_token_loss", "(loss, dlogits)"
        )
        _expect(
            np.ndim(loss) == 0 and math.isfinite(float(loss)),
            "next_token_loss",
            msg(
                en=f"the loss must be a finite number, not {loss}",
                ja=f"損失は有限の数のはずですが、{loss} でした",
            ),
        )
        grads = learner("gpt2_backward", dlogits, cache)
        lr = learning_rate(step, steps, settings["lr"])
        params, state = _pair(
            learner("adamw_step", params, grads, state, lr), "adamw_step", "(new_params, new_state)"
        )
        emit(
            {
                "event": "step",
                "step": step + 1,
                "steps": steps,
                "loss": float(loss),
                "seconds": _since(started),
            }
        )

    learner.step = None
    text_after = _sample(learner, params, settings, vocab, prompt_ids)
    emit({"event": "sample", "when": "after", "text": text_after, "seconds": _since(started)})
    emit({"event": "done", "seconds": _since(started)})


def _leaves(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _leaves(value)
    elif isinstance(tree, list | tuple):
        for value in tree:
            yield from _leaves(value)
    else:
        yield tree


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


def main() -> None:
    settings = json.loads(sys.stdin.readline())
    set_language(settings.get("lang"))  # the parent's choice, for the messages made here
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # whatever the learner's code prints goes to stderr, not into the stream
    lock = threading.Lock()

    def emit(event: dict) -> None:
        with lock:
            stream.write(json.dumps(event, ensure_ascii=False) + "\n")
            stream.flush()

    learner = None
    try:
        tree, reference = Path(settings["tree"]), Path(settings["reference"])
        learner = Learner(tree, reference, settings["functions"], settings["call_timeout"], emit)
        train(settings, learner, emit)
    except Failed as failure:
        emit({**failure.event, "step": learner.step if learner else None})
        sys.exit(1)
    except Exception as error:  # what the learner's results did to the training loop itself
        where = learner_frame(error.__traceback__, Path(settings["tree"]))
        emit(
            {
                "event": "error",
                "kind": "raised",
                "function": None,
                "step": learner.step if learner else None,
                "message": f"{type(error).__name__}: {error}{where}",
            }
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
