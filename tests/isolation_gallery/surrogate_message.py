"""Attack: an exception message with a lone surrogate, which no UTF-8 encoder accepts (crashed the report).

Expected: an error verdict whose message is valid UTF-8; table, JSON and Gradescope render.
"""


def softmax(x, axis=-1):
    raise ValueError("bad \ud800 half of a pair")
