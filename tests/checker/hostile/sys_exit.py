# sys.exit from learner code: it must fail 5.2's tests only, not end the run.
def accuracy(y_true, y_pred):
    import sys

    sys.exit(0)
