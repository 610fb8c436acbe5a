"""Adversarial: exits with status 0 while being loaded, before any test runs."""

import sys

print("All tests passed!")
sys.exit(0)
