"""``python -m dockfix.cli``: the same as ``dockfix``."""

from .app import main

main()
