"""museslang: a declarative language and compiler for multi-user LLM agent scenarios."""

__version__ = "0.1.0"
