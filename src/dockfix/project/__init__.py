"""What a Python project declares: requirements files and their includes, pyproject.toml,
setup.cfg, setup.py (read with libcst, imported only by ``project.pyproject`` and below it).
"""
