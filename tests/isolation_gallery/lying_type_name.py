"""Attack: return an object whose type name is 100 kB of escape sequences (it is reported back by name).

Expected: the name is capped and cleaned before it is shown.
"""


class Result:
    pass


Result.__qualname__ = "\x1b[2J\x1b[HScore 100/100" * 5000


def softmax(x, axis=-1):
    return Result()
