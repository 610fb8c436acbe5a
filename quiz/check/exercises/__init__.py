"""The built-in exercises, one module each, named by the exercise's id in exercises.yaml.

Each module defines ORACLE (the expected answer from a test's arguments, usually the function
of references.py), TESTS (its tests, in a ``Tests`` table), VARIANTS (mistake id -> a function
returning what that mistake returns, or None when a test recognises the mistake itself) and
ERRORS (mistake id -> a pattern of the exception message it raises). quiz.check.registry turns
each into an ``Exercise`` with its catalogue entry.
"""
