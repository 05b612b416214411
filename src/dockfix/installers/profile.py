"""The shape of an installer profile: everything dockfix assumes about one installer, in one place.

Each installer module (``pip``, ``uv``, ``poetry``, ``pdm``, ``pipenv``, ``conda``, ``apt``) defines a
``PROFILE``. Rules ask profiles; no rule hard-codes a tool's paths or variables. A profile answers:

- ``reads``: what the installer reads besides the files its command line names (configuration
  files, with their search path, and the variables that point it at other files);
- ``caches``: its download caches (where they are, what moves or disables them, which parts of the
  cache folder the image needs at run time and so must never be hidden by a cache mount);
- ``uses``: which subcommands of which ``shell.Invocation`` tools download packages into which caches.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cache:
    """One download cache, and what a cache mount over it would hide from the image."""

    key: str
    dir_env: str  # the variable that moves it
    xdg_name: str | None  # its folder under ~/.cache (None: conda's <root prefix>/pkgs)
    tools: tuple[str, ...]  # shell.Invocation tools whose options can disable it
    off_env: str | None = None  # the variable that disables it
    off_options: tuple[str, ...] = ()  # canonical options that disable it
    purges: tuple[str, ...] = ()  # subcommands of its tools that empty it
    # Subfolders of the cache folder that are pure download caches, mounted one by one; ("",) is the
    # whole folder. Everything else in the folder may be needed at run time and stays in the image.
    mount: tuple[str, ...] = ("",)
    keeps: tuple[str, ...] = ()  # subfolders the image needs at run time by default (never mounted)
    # Settings that make the installer keep run-time files in the mounted folders (an environment
    # linked to the cache) or move the cache: (variable, values known not to), per setting.
    link_env: tuple[tuple[str, frozenset[str]], ...] = ()
    link_options: tuple[tuple[str, frozenset[str]], ...] = ()  # canonical option, values known safe
    # Configuration keys (in the tool's configuration files or set with ``<tool> config``) that move
    # the cache, change what it holds, or put a kept folder under a mounted one.
    config_keys: tuple[str, ...] = ()
    config_files: tuple[str, ...] = ()  # project configuration files that may set them
    config_sub: str | None = None  # the subcommand that writes configuration
    # Commands that keep an environment the image may use at run time inside the cache folder:
    # (subcommand, options that make it do so; () for always), and programs that always do.
    envs_in_cache: tuple[tuple[str, tuple[str, ...]], ...] = ()
    env_programs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reads:
    """What an installer reads besides the files its command line names: its configuration.

    ``installers.config.config_files`` turns this search path into paths for one RUN, from the
    build state before it (its environment, user and home, working directory). A file name in
    ``project`` may carry a table: ``pyproject.toml:tool.uv`` counts only when it has ``[tool.uv]``.
    """

    env: tuple[str, ...] = ()  # variables that make it read files the Dockerfile does not name
    project: tuple[str, ...] = ()  # configuration files in the working (project) directory
    parents: bool = False  # ... and in each of its parents, up to the filesystem root
    home: tuple[str, ...] = ()  # relative to $HOME
    xdg: tuple[str, ...] = ()  # relative to $XDG_CONFIG_HOME (default $HOME/.config)
    prefix: tuple[str, ...] = ()  # relative to $VIRTUAL_ENV / the environment it runs from
    prefix_env: tuple[str, ...] = ("VIRTUAL_ENV",)  # variables naming that environment
    site: tuple[str, ...] = ()  # absolute, system-wide
    off_env: tuple[str, ...] = ()  # variables that turn the search off (then only ``env`` files count)
    # variables whose files the Dockerfile can show and dockfix can copy: name -> where it is relative to
    file_env: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    name: str
    reads: dict[str, Reads]  # per shell.Invocation tool
    caches: tuple[Cache, ...] = ()
    # shell.Invocation tool -> (subcommands that download packages, keys of the caches they use)
    uses: dict[str, tuple[frozenset[str], tuple[str, ...]]] = field(default_factory=dict)
