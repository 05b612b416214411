"""What a run works on: Dockerfiles found under the paths given, their build contexts (compose
files), the settings that apply to each (``.dockfix.toml``, ``[tool.dockfix]``)."""
