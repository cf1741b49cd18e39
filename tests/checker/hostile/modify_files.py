# Try to change files: its own module, its folder, a file next to it. Every attempt
# is refused; the answers stay right, and the original submission is untouched.
import os

_reference_accuracy = accuracy


def accuracy(y_true, y_pred):
    here = os.path.dirname(os.path.abspath(__file__))
    attempts = [
        lambda: open(__file__, "w").write("# gone\n"),
        lambda: open(os.path.join(here, "new.txt"), "x").write("x"),
        lambda: os.remove(__file__),
        lambda: os.rename(__file__, __file__ + ".bak"),
        lambda: os.chmod(__file__, 0o777),
    ]
    for attempt in attempts:
        try:
            attempt()
        except OSError:
            pass
    return _reference_accuracy(y_true, y_pred)
