"""attnquiz check: run a user's NumPy solution in a sandbox against hidden references."""
