"""Synthetic training data: teacher-played episodes, kept when perfect, as SFT chat data."""
