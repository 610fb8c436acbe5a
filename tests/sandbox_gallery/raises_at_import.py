import numpy as np


def helper():
    return np.zeros((2, 3)).reshape(4, 4)


WEIGHTS = helper()
