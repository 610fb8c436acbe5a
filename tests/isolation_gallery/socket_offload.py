"""Attack: offload the flash-attention work to the solution's other sandbox over a socket, so the
memory-limited one only relays the answer.

Every sandbox of this file binds an abstract Unix socket of one name; a second one finding it
taken (or reachable) could talk to the first. Expected: each sandbox has a network namespace
of its own, so both bind it, and neither reaches the other.
"""
import socket

NAME = b"\0attnquiz-gallery-offload"
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    server.bind(NAME)
    server.listen(1)
except OSError:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(NAME)
        print("BREACH: reached the other sandbox's socket")
    except OSError:
        pass


def flash_attention(q, k, v, block_size=64):
    return None


def softmax(x, axis=-1):
    return None
