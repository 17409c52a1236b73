"""Running a compiled spec: the episode runner, the results store and what a run keeps,
re-scoring stored results, and running on a Ray cluster. This floor sits above the
runtime (the engine, the backends) and the metrics it scores with; nothing below imports it.
"""
