"""Return values that try to pass for something they are not."""

import numpy as np


class Everything(np.ndarray):
    """An ndarray subclass that says it equals anything and lies about its shape."""

    def __eq__(self, other):
        return True

    @property
    def shape(self):
        return (5, 5)


class FakeArray:
    """Not an array at all, but NumPy would happily convert it."""

    def __array__(self, dtype=None, copy=None):
        return np.ones((5, 5))

    def __eq__(self, other):
        return True


class AlwaysEqualInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


def subclass():
    return np.arange(4.0).view(Everything)


def fake_array():
    return FakeArray()


def object_array():
    return np.array([1.0, "two", None], dtype=object)


def always_equal_int():
    return AlwaysEqualInt(3)


def masked():
    return np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])
