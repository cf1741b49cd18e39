# A segmentation fault through ctypes: reading address 8.
def accuracy(y_true, y_pred):
    import ctypes

    return float(len(ctypes.string_at(8)))  # strlen at address 8
