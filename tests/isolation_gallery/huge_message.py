"""Attack: a 12 MB exception message (took minutes to render).

Expected: the message is capped; the report renders at once.
"""


def softmax(x, axis=-1):
    raise ValueError("A" * 12_000_000)
