"""Entry point of a worker process: ``python -m copilot_metrics._worker`` (see :mod:`._pool`).

A module of its own, imported by nothing else, so that running it as ``__main__`` never
finds it already imported by the package.
"""

from copilot_metrics._pool import serve

if __name__ == "__main__":
    serve()
