"""Interoperation with other formats: the official MUSES Bench JSONL (`muses_bench`)."""
