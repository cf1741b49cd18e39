# An honest student whose code warns with a stacklevel that points past their own
# frames, into the worker: Python reads the worker's source to show the warning's line.
# That is the worker's own file being read, never the student's violation.
import warnings

_reference_accuracy = accuracy


def accuracy(y_true, y_pred):
    warnings.warn("accuracy is fine", UserWarning, stacklevel=3)
    return _reference_accuracy(y_true, y_pred)
