# A syntax error: the module cannot be imported, so every test of the day errors.
def accuracy(y_true, y_pred):
    return (y_true == y_pred).mean(
