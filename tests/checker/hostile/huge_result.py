# An honest student with one bug: accuracy returns a 200 MB array instead of a number.
# That test fails with a message saying so; nothing is flagged, every other point stays.
_reference_accuracy = accuracy


def accuracy(y_true, y_pred):
    if len(y_true) == 4:
        return np.zeros(25_000_000)  # 200 MB
    return _reference_accuracy(y_true, y_pred)
