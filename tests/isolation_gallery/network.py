"""Attack: talk to the outside (a server on the checker's loopback, port 47613, that the test runs).

Expected: no network at all (strict: a network namespace with nothing in it).
"""
import socket

try:
    with socket.create_connection(("127.0.0.1", 47613), timeout=1):
        print("BREACH: reached the network")
except OSError:
    pass


def softmax(x, axis=-1):
    return None
