"""Fixtures shared by the day suites (the llmroad plugin itself is loaded from pyproject)."""

import numpy as np
import pytest

SEED = 20231201  # the blog series' first day


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed, so every test is deterministic."""
    return np.random.default_rng(SEED)
