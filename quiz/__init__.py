"""attnquiz: practise Transformer attention and the KV cache, and check your own code."""

__version__ = "0.1.0"
