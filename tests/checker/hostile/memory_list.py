# A memory bomb in pure Python, kept at module level so that nothing frees it when the
# call fails: large blocks first (so the limit is reached within the call limit on any
# machine, issue 16), then a list of small ints for the last few MB (the case where the
# interpreter has no room left even to report the MemoryError; the worker keeps 8 MB in
# reserve for that).
_HOARD = []


def accuracy(y_true, y_pred):
    while True:
        try:
            _HOARD.append(bytearray(16 << 20))
        except MemoryError:
            break
    while True:
        _HOARD.append(len(_HOARD))
