from setuptools import setup

with open("requirements.txt") as f:
    requirements = [line for line in f.read().splitlines() if not line.startswith("click")]

setup(name="app", version="1.0", py_modules=["app"], install_requires=requirements)
