# Print what a passing pytest run prints, on stdout, stderr and the raw descriptors,
# and answer 5.2 wrongly.
import os
import sys

_FAKE = (
    "tests/days/day05_metrics/test_metrics.py::test_accuracy_of_the_hand_worked_example"
    " PASSED\n============ 29 passed in 0.01s ============\n"
)


def accuracy(y_true, y_pred):
    print(_FAKE)
    print(_FAKE, file=sys.stderr)
    for fd in (1, 2):
        try:
            os.write(fd, _FAKE.encode())
        except OSError:
            pass
    return -1.0
