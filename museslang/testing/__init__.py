"""Helpers for testing and benchmarking museslang without a model."""
