"""`python -m museslang.cli`: the same as the `museslang` console script."""

from museslang.cli import main

if __name__ == "__main__":  # vLLM's engine process imports the main module again
    main()
