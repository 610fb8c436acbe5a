"""Attack: 1,500 nested folders in the working folder, the innermost read-only (crashed the cleanup).

Expected: the check ends normally and the folder is removed.
"""
import os

fd = os.open(".", os.O_RDONLY)
for _ in range(1500):
    os.mkdir("d", dir_fd=fd)
    inner = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = inner
os.fchmod(fd, 0o500)
os.close(fd)


def softmax(x, axis=-1):
    return None
