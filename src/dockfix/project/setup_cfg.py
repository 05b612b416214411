"""``setup.cfg``: ``[options] install_requires`` and ``extras_require``, read as setuptools reads them."""

from __future__ import annotations

import configparser

from .base import _Fail, _parse_cfg_list, _Partial, _Project


def _read_setup_cfg(st: _Project, package_dirs: dict[str, str]) -> _Partial:
    out = _Partial()
    rel = st.touch("setup.cfg")
    assert rel is not None
    text = st.ctx.read_text(rel) or ""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=rel)
    except configparser.Error as exc:
        out.deps_found = True
        out.deps_reason = f"{rel}: cannot parse ({str(exc).splitlines()[0]})"
        return out

    def get(section: str, key: str) -> str | None:
        if not parser.has_section(section):
            return None
        for name in (key, key.replace("_", "-")):
            if parser.has_option(section, name):
                return parser.get(section, name)
        return None

    def expand(value: str) -> str:
        stripped = value.strip()
        if not stripped.startswith("file:"):
            return value
        contents = []
        for name in (p.strip() for p in stripped[len("file:"):].split(",")):
            if name:
                try:
                    contents.extend(st.requirements_from_file(name, "setuptools"))
                except _Fail as exc:
                    raise _Fail(f"{rel}: file: {name}: {exc}") from None
        return "\n".join(contents) + "\n"

    pkg_dir_value = get("options", "package_dir")
    if pkg_dir_value:
        for chunk in _parse_cfg_list(pkg_dir_value.replace(",", "\n") + "\n"):
            key, _, value = chunk.partition("=")
            package_dirs.setdefault(key.strip(), value.strip())
    for key in ("long_description", "version", "license_file"):
        value = get("metadata", key)
        if value and value.strip().startswith("file:"):
            for name in value.strip()[len("file:"):].split(","):
                if name.strip():
                    st.touch(name.strip())
        elif value and value.strip().startswith("attr:") and key == "version":
            st.module_files(value.strip()[len("attr:"):].strip(), package_dirs)
            st.note(f"{rel}: version = attr: may import the package")
    lic = get("metadata", "license_files")
    if lic:
        for name in _parse_cfg_list(lic.replace(",", "\n") + "\n"):
            if not any(ch in name for ch in "*?["):
                st.touch(name)

    value = get("options", "install_requires")
    if value is not None:
        out.deps_found = True
        try:
            out.deps = tuple(_parse_cfg_list(expand(value)))
            out.deps_source = f"{rel} [options] install_requires"
            if value.strip().startswith("file:"):
                names = [n.strip() for n in value.strip()[len("file:"):].split(",") if n.strip()]
                out.deps_files = tuple(dict.fromkeys(st.rel(n) for n in names))
        except _Fail as exc:
            out.deps_reason = str(exc)
    if parser.has_section("options.extras_require"):
        out.extras_found = True
        try:
            for extra in parser.options("options.extras_require"):
                out.extras[extra] = tuple(_parse_cfg_list(expand(parser.get("options.extras_require", extra))))
        except _Fail as exc:
            out.extras, out.extras_reason = {}, str(exc)
    return out


# -- setup.py ---------------------------------------------------------------
