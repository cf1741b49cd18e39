# An honest student with one bug: accuracy returns a 200 MB array instead of a number.
# Its tests fail with a message saying so; nothing is flagged, every other point stays.
def accuracy(y_true, y_pred):
    return np.zeros(25_000_000)  # 200 MB
