"""Fixtures shared by the day suites (the llmroad plugin itself is loaded from pyproject)."""

import numpy as np
import pytest


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """The suites' seed (`--seed`, default the blog series' first day): every test must
    pass for any value of it."""
    return request.config.getoption("--seed")


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    """A fresh generator from the suites' seed, so every test is deterministic."""
    return np.random.default_rng(seed)
