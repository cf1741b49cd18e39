# An exception whose class name is 8 MB long, with an 8 MB message: every text that
# crosses from the learner's side is cut short, so no export grows with it.
_Huge = type("E" * (8 << 20), (Exception,), {})


def accuracy(y_true, y_pred):
    raise _Huge("m" * (8 << 20))
