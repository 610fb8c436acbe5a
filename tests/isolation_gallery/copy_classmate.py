"""Attack: copy a classmate's submission from the shared temporary folder (/tmp/attnquiz-gallery).

The test leaves a correct solution there, readable by its owner only. Expected: not readable
from the sandbox (strict: /tmp is the sandbox's own), the check fails.
"""
stolen = None
try:
    with open("/tmp/attnquiz-gallery/classmate.py") as file:
        stolen = file.read()
    print("BREACH: copied a classmate's file")
except OSError:
    pass
if stolen:
    namespace = {}
    exec(stolen, namespace)
    softmax = namespace["softmax"]
else:
    def softmax(x, axis=-1):
        return None
