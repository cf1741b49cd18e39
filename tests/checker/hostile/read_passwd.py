# Read a file outside the submission (the refusal is swallowed; the flag is not).
_reference_accuracy = accuracy


def accuracy(y_true, y_pred):
    try:
        with open("/etc/passwd") as secrets:
            secrets.read()
    except OSError:
        pass
    return _reference_accuracy(y_true, y_pred)
