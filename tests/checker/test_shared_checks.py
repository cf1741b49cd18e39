"""The shared checks the day suites import (checker.core.testing): what their messages say."""

from __future__ import annotations

import numpy as np
import pytest

from checker.core.testing import assert_close


def test_a_mismatch_shows_enough_digits_to_see_the_difference():
    with pytest.raises(AssertionError) as raised:
        assert_close(np.float64(-0.39139112), -0.39139140, "loss")
    assert "loss is -0.3913911, expected -0.3913914" in str(raised.value)


def test_a_clear_mismatch_keeps_its_short_form():
    with pytest.raises(AssertionError) as raised:
        assert_close(np.array([1.0, 1.5]), np.array([1.0, 2.0]), "x")
    assert "the first is at index (1,): 1.5, expected 2" in str(raised.value)
