from setuptools import setup

with open("requirements.txt") as f:
    requirements = f.read().splitlines()

setup(name="app", version="1.0", py_modules=["app"], install_requires=requirements)
