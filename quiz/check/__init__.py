"""attnquiz check: run a user's NumPy solution in a sandbox against hidden references."""

CALL_TIMEOUT = 10.0  # wall-clock seconds one call of the solution may take: the one default of --timeout
ISOLATION = "auto"  # the default of --isolation: the strongest sandbox level this machine offers (isolation.py)
ISOLATION_CHOICES = ("auto", "strict", "process")
