"""The build: the build context on disk (files, ``.dockerignore``, context-relative paths)."""
