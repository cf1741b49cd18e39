# Every function left a stub (NotImplementedError). The test adds a conftest.py that
# would force every test to pass, a pytest.ini, a plugin and a test file of its own:
# none of them is loaded, so this scores 0.
def _stub(*args, **kwargs):
    raise NotImplementedError("not started")


confusion_matrix = accuracy = precision_recall_f1 = roc_auc = perplexity = _stub
