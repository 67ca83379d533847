"""Reading what residents write: features, the classifier, its training and corrections, places."""
