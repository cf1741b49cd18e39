# An endless loop in 5.2: each of its tests times out; the other tasks still pass.
def accuracy(y_true, y_pred):
    while True:
        pass
