"""The command line: ``dockfix`` (``app``), its output and reports, ``dockfix verify``."""

from .app import main  # noqa: F401  (the console script: dockfix.cli:main)
