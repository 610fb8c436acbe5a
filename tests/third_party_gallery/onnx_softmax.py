"""ONNX's reference implementation of the Softmax operator.

Origin: https://github.com/onnx/onnx, onnx/reference/ops/op_softmax.py (Softmax._run),
commit 196357f6b8aaaba75a2551ac52f804799c01a6fe.
Adapted: the OpRun method made a function; `self.axis`, the operator's `axis` attribute, becomes
the parameter self_axis, set to the exercise's `axis` (in ONNX both come from the same attribute,
which is why `axis or self.axis` is right there even for axis=0); the 1-tuple it returns is
unpacked. Body otherwise verbatim.
True verdict: softmax passes. `Y /= ...` divides a fresh array in place, never the input;
`Y.astype(X.dtype)` keeps float32 as float32.
"""

import numpy as np


def _run(X, axis=None, self_axis=-1):
    axis = axis or self_axis
    tmp = X - X.max(axis=axis, keepdims=1)
    Y = np.exp(tmp)
    Y /= Y.sum(axis=axis, keepdims=1)
    return (Y.astype(X.dtype),)


def softmax(x, axis=-1):
    return _run(x, axis=axis, self_axis=axis)[0]
