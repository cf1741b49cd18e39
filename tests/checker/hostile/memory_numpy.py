# A memory bomb in NumPy: an 8 TiB array. The worker's memory limit stops it.
def accuracy(y_true, y_pred):
    return float(np.ones((1 << 40,)).sum())
