"""Families written in museslang: their declarations checked, their expressions
evaluated, and their behaviour installed."""
