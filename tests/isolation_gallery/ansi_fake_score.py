"""Attack: ANSI escapes in a message and in the output that redraw the terminal into a fake "Score 100/100".

Expected: the escapes are stripped before any output; the real score stays on screen.
"""
FAKE = "\x1b[2J\x1b[H\x1b[32mScore 100/100 (all passed)\x1b[0m\r\x1b[8m"
print(FAKE)


def softmax(x, axis=-1):
    raise ValueError(FAKE)
