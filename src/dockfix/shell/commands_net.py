"""Effect models of downloaders, archives, interpreters and pip.

Split from ``commands.py`` along its seam: these models read installer invocations
(``shell.parse_invocation``) or long option tables. Same contract: record reads and writes on
the ``Ctx``; raise ``Unknown`` (the command refuses) on anything not modelled.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from .commands import Unknown, getopt, has, values
from .effect_types import Ctx
from .invocation import local_value

_CURL_FLAGS = "fsSLkvqIiOJNngGlRjZ0123456#aBMVp"
_CURL_VALUED = "AbcCdDeEFHKmoPrTuUwxXYyztQ"
_CURL_LONG = (
    "fail fail-with-body silent show-error location location-trusted insecure verbose remote-name remote-name-all "
    "remote-header-name create-dirs compressed progress-bar no-progress-meter head include http1.0 http1.1 http2 "
    "http2-prior-knowledge http3 ipv4 ipv6 tlsv1 tlsv1.0 tlsv1.1 tlsv1.2 tlsv1.3 retry-all-errors retry-connrefused "
    "globoff fail-early netrc netrc-optional no-buffer no-keepalive ssl-reqd get disable no-clobber "
    "remove-on-error parallel tcp-nodelay raw no-sessionid ssl proxy-insecure"
)
_CURL_LONG_V = (
    "output output-dir user-agent cookie cookie-jar continue-at data data-binary data-raw data-ascii data-urlencode "
    "dump-header referer cert form form-string header config max-time connect-timeout range upload-file user "
    "proxy request retry retry-delay retry-max-time write-out cacert capath key netrc-file trace trace-ascii "
    "stderr libcurl etag-save etag-compare max-filesize limit-rate resolve connect-to interface url proto "
    "proto-redir time-cond ciphers pinnedpubkey oauth2-bearer max-redirs dns-servers keepalive-time speed-limit "
    "speed-time cert-type key-type pass noproxy proxy-user json create-file-mode"
)


def _at_file(ctx: Ctx, word, sep: str = "@") -> None:
    v = word.value
    for marker in ("=@", "=<") if sep == "=" else ("@",):
        if marker in v if sep == "=" else v.startswith(marker):
            path = v.split(marker, 1)[1] if sep == "=" else v[1:]
            if path != "-":
                ctx.read(replace(word, value=path.split(";", 1)[0]))


# Variables that point a download at other trusted certificates or credentials.
_NETWORK_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC")


def network(ctx: Ctx, netrc: bool = True) -> None:
    """What a download reads besides its own files: the resolver's files, the trusted certificates
    (OpenSSL's folders, the CA bundles that update-ca-certificates builds) and, where the tool
    reads it, the user's ``~/.netrc`` (pip through requests, wget). A step that writes one of them
    (``cp corp.crt /usr/local/share/ca-certificates/``) decides whether the download works."""
    seen = {*ctx.state.env_names, *ctx.state.vars, *ctx.shell_vars}
    for name in _NETWORK_ENV:
        if name in seen:
            value = ctx.var(name)
            if value is None:
                raise Unknown(name)
            ctx.read(value, tree=True)
    for f in ("/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf"):
        ctx.read(f)
    for d in ("/etc/ssl", "/usr/lib/ssl", "/etc/pki", "/etc/ca-certificates", "/usr/share/ca-certificates",
              "/usr/local/share/ca-certificates"):
        ctx.read(d, tree=True)
    if netrc:
        ctx.read_config("~/.netrc")
        ctx.read_config("~/_netrc")


def curl(ctx: Ctx, words):
    opts, urls = getopt(words, _CURL_FLAGS, _CURL_VALUED, _CURL_LONG, _CURL_LONG_V)
    urls = urls + values(opts, "url")
    out_dirs = values(opts, "output-dir")
    base = None
    if out_dirs:
        found = ctx.path(out_dirs[-1])
        if found is None or not found[1]:
            raise Unknown("curl --output-dir")
        base = found[0]
    if not (words and words[0].value in ("-q", "--disable")):
        ctx.read("~/.curlrc")
    network(ctx, netrc=has(opts, "n", "netrc", "netrc-optional"))
    for f in values(opts, "o", "output"):
        if f.value != "-":
            ctx.write(f, base=base)
    if has(opts, "J", "remote-header-name"):
        ctx.write(".", tree=True, base=base)
    elif has(opts, "O", "remote-name", "remote-name-all"):
        for u in urls:
            name = posixpath.basename(re.split(r"[?#]", u.value.split("://", 1)[-1], maxsplit=1)[0])
            ctx.write(replace(u, value=name) if name and not u.has_expansion else ".", tree=not name, base=base)
    for f in values(opts, "D", "c", "dump-header", "cookie-jar", "trace", "trace-ascii", "stderr", "libcurl", "etag-save"):
        if f.value != "-":
            ctx.write(f)
    if values(opts, "K", "config"):
        raise Unknown("curl -K: a config file may name outputs")
    for f in values(opts, "cacert", "E", "cert", "key", "netrc-file", "etag-compare", "T", "upload-file"):
        ctx.read(f)
    for f in values(opts, "capath"):
        ctx.read(f, tree=True)
    for d in values(opts, "d", "data", "data-binary", "data-ascii", "data-urlencode", "json"):
        _at_file(ctx, replace(d, value=d.value.split("=", 1)[-1]) if "=@" in d.value else d)
    for d in values(opts, "F", "form"):
        _at_file(ctx, d, sep="=")
    for c in values(opts, "b", "cookie"):
        if "=" not in c.value:
            ctx.read(c)
    for u in urls:
        if u.value.lower().startswith("file:"):
            raise Unknown("file: URL")
    return ctx.effect()


_WGET_FLAGS = "qvdcNrmkKpxEHSF46"
_WGET_LONG = (
    "quiet verbose no-verbose continue timestamping recursive mirror convert-links page-requisites "
    "force-directories no-check-certificate content-disposition trust-server-names no-clobber server-response "
    "spider https-only show-progress retry-connrefused no-cache no-dns-cache inet4-only inet6-only "
    "no-directories no-parent ignore-length no-host-directories"
)
_WGET_LONG_V = (
    "output-document directory-prefix output-file append-output input-file load-cookies save-cookies tries "
    "timeout header user-agent user password http-user http-password progress level ca-certificate "
    "certificate private-key max-redirect waitretry method body-data body-file post-data post-file "
    "limit-rate wait read-timeout connect-timeout dns-timeout"
)


def wget(ctx: Ctx, words):
    words = [replace(w, value="--no-verbose") if w.value == "-nv" else w for w in words]
    words = [replace(w, value="--no-clobber") if w.value == "-nc" else w for w in words]
    words = [replace(w, value="--no-directories") if w.value == "-nd" else w for w in words]
    opts, urls = getopt(words, _WGET_FLAGS, "OPoaiUtTlw", _WGET_LONG, _WGET_LONG_V)
    ctx.read("/etc/wgetrc")
    ctx.read("~/.wgetrc")
    network(ctx)
    prefix = (values(opts, "P", "directory-prefix") or [None])[-1]
    base = None
    if prefix is not None:
        found = ctx.path(prefix)
        if found is None or not found[1]:
            raise Unknown("wget -P")
        base = found[0]
    docs = values(opts, "O", "output-document")
    for f in docs:
        if f.value != "-":
            ctx.write(f)
    if not docs:
        whole = has(opts, "r", "m", "p", "x", "i", "recursive", "mirror", "page-requisites", "force-directories",
                    "content-disposition", "trust-server-names", "input-file")
        if whole:
            ctx.write(".", tree=True, base=base)
        for u in urls:
            path = u.value.split("://", 1)[-1].split("#", 1)[0]  # wget keeps a query in the name
            name = posixpath.basename(path) if "/" in path else ""
            if whole or u.has_expansion:
                ctx.write(".", tree=True, base=base)
            else:
                ctx.write(name or "index.html", base=base)
    for f in values(opts, "o", "a", "output-file", "append-output", "save-cookies"):
        ctx.write(f)
    for f in values(opts, "i", "input-file", "load-cookies", "ca-certificate", "certificate", "private-key",
                    "body-file", "post-file"):
        ctx.read(f)
    return ctx.effect()


_CLONE_FLAGS = "qvnlsj"
_CLONE_LONG = (
    "quiet verbose progress no-checkout bare mirror local no-hardlinks shared recursive shallow-submodules "
    "no-shallow-submodules single-branch no-single-branch no-tags remote-submodules no-remote-submodules "
    "sparse dissociate also-filter-submodules reject-shallow no-reject-shallow"
)


def git(ctx: Ctx, words):
    words = list(words)
    base = None
    while words and words[0].value.startswith("-"):
        w = words.pop(0)
        if w.value in ("-C", "-c") and words:
            value = words.pop(0)
            if w.value == "-C":
                found = ctx.path(value, base)
                if found is None or not found[1]:
                    raise Unknown("git -C")
                base = found[0]
        elif w.value not in ("--no-pager", "--no-replace-objects", "-P", "--paginate"):
            raise Unknown(w.value)
    if not words:
        raise Unknown("git")
    sub, rest = words[0].value, words[1:]
    ctx.read("/etc/gitconfig")
    ctx.read("~/.gitconfig")
    ctx.read("~/.config/git", tree=True)
    if sub == "config":
        opts, args = getopt(rest, "", "f", "global system add replace-all unset unset-all", "file")
        if has(opts, "global"):
            ctx.write("~/.gitconfig")
        elif has(opts, "system"):
            ctx.write("/etc/gitconfig")
        elif values(opts, "f", "file"):
            ctx.write(values(opts, "f", "file")[0], base=base)
        else:
            raise Unknown("git config in a repository")
        return ctx.effect()
    if sub != "clone":
        raise Unknown("git " + sub)
    opts, args = getopt(rest, _CLONE_FLAGS, "objuc", _CLONE_LONG,
                        "template reference reference-if-able origin branch upload-pack depth shallow-since "
                        "shallow-exclude config separate-git-dir jobs filter bundle-uri server-option",
                        "recurse-submodules")
    if not args or len(args) > 2:
        raise Unknown("git clone")
    repo = args[0]
    remote = "://" in repo.value or re.match(r"[^/]+:", repo.value)
    if not remote:
        ctx.read(repo, tree=True, base=base)
    else:
        network(ctx)  # git's https reads ~/.netrc too
        if not repo.value.startswith(("https://", "http://", "git://")):
            ctx.read_config("~/.ssh", tree=True)  # ssh: keys, known_hosts, config
            ctx.read("/etc/ssh", tree=True)
    for t in values(opts, "template", "reference", "reference-if-able"):
        ctx.read(t, tree=True, base=base)
    for d in values(opts, "separate-git-dir"):
        ctx.write(d, tree=True, base=base)
    if len(args) == 2:
        ctx.write(args[1], tree=True, base=base)
    elif repo.has_expansion:
        ctx.write(".", tree=True, base=base)
    else:
        name = re.sub(r"(/\.git)?/*$", "", repo.value)
        name = re.split(r"[/:]", name)[-1]
        name = name[:-4] if name.endswith(".git") else name
        if has(opts, "bare", "mirror"):
            name += ".git"
        ctx.write(name or ".", tree=True, base=base)
    return ctx.effect()


_TAR_LONG = (
    "extract get create list gzip gunzip bzip2 xz zstd lzma auto-compress verbose no-same-owner same-owner "
    "no-same-permissions same-permissions preserve-permissions numeric-owner overwrite keep-old-files "
    "skip-old-files keep-newer-files touch absolute-names wildcards no-wildcards anchored no-anchored "
    "one-file-system totals unlink-first recursive-unlink ignore-zeros no-overwrite-dir"
)


def tar(ctx: Ctx, words):
    words = list(words)
    if words and re.fullmatch(r"[a-zA-Z]+", words[0].value):  # old style: 'xzf a.tgz'
        bundle = words[0].value
        valued = [c for c in bundle if c in "fCTXbHgNI"]
        if len(valued) > 1 or (valued and not bundle.endswith(valued[0])):
            raise Unknown("tar: values of an old-style bundle taken in order")
        words[0] = replace(words[0], value="-" + bundle)
    opts, args = getopt(words, "xctvzjJaZkmopPhSwWUO", "fCTXbHgNI", _TAR_LONG,
                        "file directory strip-components exclude owner group mode transform xform warning "
                        "files-from exclude-from use-compress-program format blocking-factor")
    if has(opts, "P", "absolute-names", "T", "files-from"):
        raise Unknown("tar -P / -T")
    archives = [a for a in values(opts, "f", "file") if a.value != "-"]
    dirs = values(opts, "C", "directory")
    for x in values(opts, "X", "exclude-from"):
        ctx.read(x)
    if has(opts, "x", "extract", "get"):
        for a in archives:
            ctx.read(a)
        for d in dirs or ["."]:
            ctx.write(d, tree=True)
    elif has(opts, "c", "create"):
        for a in archives:
            ctx.write(a)
        for member in args:
            for d in dirs or ["."]:
                found = ctx.path(d)
                ctx.read(member, tree=True, base=found[0] if found and found[1] else None)
        if not archives and not ctx.inv.command.op_after == "|":
            raise Unknown("tar -c to a tape")
    elif has(opts, "t", "list"):
        for a in archives:
            ctx.read(a)
    else:
        raise Unknown("tar mode")
    return ctx.effect()


def python(ctx: Ctx, words):
    words = list(words)
    opts = set()
    while words and re.fullmatch(r"-[bBdEIOPqRsSuvVWX].*", words[0].value):
        w = words.pop(0)
        if w.value in ("-V", "--version"):
            return ctx.effect()
        if w.value in ("-W", "-X"):
            if not words:
                raise Unknown(w.value)
            words.pop(0)
        elif w.value[1] in "WX":
            pass
        else:
            opts.update(w.value[1:])
    if not words or words[0].value != "-m":
        if words and words[0].value.startswith("-m") and len(words[0].value) > 2:
            words = [replace(words[0], value="-m"), replace(words[0], value=words[0].value[2:])] + words[1:]
        elif words and words[0].value == "--version":
            return ctx.effect()
        else:
            return ctx.opaque()  # a script, -c code or stdin
    if len(words) < 2:
        raise Unknown("python -m")
    module = words[1].value
    isolated = "I" in opts
    if not isolated and "P" not in opts and "PYTHONSAFEPATH" not in ctx.state.env_names:
        if ctx.cwd is None:
            ctx.anything.add("read")
        else:
            ctx.imports.add(ctx.cwd)
    if not isolated and "E" not in opts:
        for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONSTARTUP", "PYTHONPYCACHEPREFIX"):
            if name in ctx.state.env_names or name in ctx.shell_vars:
                raise Unknown(name)
    if not isolated and "s" not in opts:
        ctx.read_config("~/.local", tree=True)  # the user's site-packages
    if module == "venv":
        return venv(ctx, words[2:])
    if module == "pip":
        return pip(ctx, words[2:])
    return ctx.opaque()


def venv(ctx: Ctx, words):
    opts, dirs = getopt(words, "h", "", "system-site-packages symlinks copies clear upgrade without-pip "
                        "upgrade-deps without-scm-ignore-files", "prompt")
    if not dirs:
        raise Unknown("venv")
    for d in dirs:
        ctx.write(d, tree=True)
    if not has(opts, "without-pip"):
        _pip_common(ctx, ctx.inv, cache=has(opts, "upgrade-deps"))  # ensurepip runs with --no-cache-dir
    return ctx.effect()


SAFE_PIP_ENV = {
    "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_DEFAULT_TIMEOUT", "PIP_TIMEOUT", "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_ROOT_USER_ACTION", "PIP_BREAK_SYSTEM_PACKAGES",
    "PIP_PROGRESS_BAR", "PIP_NO_INPUT", "PIP_QUIET", "PIP_RETRIES", "PIP_PREFER_BINARY", "PIP_NO_COMPILE",
    "PIP_NO_WARN_SCRIPT_LOCATION", "PIP_PROXY",
}


def _pip_common(ctx: Ctx, inv, cache: bool = True) -> None:
    """pip's configuration files and cache."""
    seen = {*ctx.state.env_names, *ctx.state.vars, *ctx.shell_vars}  # ENV, ARG (in a RUN's environment), the script's
    names = {n for n in seen if n.startswith("PIP_")}
    if names - SAFE_PIP_ENV:
        raise Unknown(sorted(names - SAFE_PIP_ENV)[0])
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL") if names else ():
        value = ctx.var(name) if name in names else ""
        if value is None or not all(v.startswith(("http://", "https://")) for v in value.split()):
            raise Unknown(name)  # a local folder laid out as an index (or a value not known here)
    if {"XDG_CONFIG_DIRS", "XDG_CONFIG_HOME"} & seen:
        raise Unknown("XDG_CONFIG_HOME")  # moves pip's user or site configuration
    for f in ("/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.config/pip/pip.conf", "~/.pip/pip.conf"):
        ctx.read_config(f)
    network(ctx)
    no_cache = "PIP_NO_CACHE_DIR" in names or any(o[0] == "--no-cache-dir" for o in inv.options if inv.tool == "pip")
    if cache and not no_cache:
        dirs = [v for n, v, _ in inv.options if n == "--cache-dir"] if inv.tool == "pip" else []
        ctx.write(dirs[-1] if dirs else "~/.cache/pip", tree=True)


def _prefixes(ctx: Ctx, program: str) -> list[str] | None:
    """The installation prefixes the pip (or python) named ``program`` may belong to."""
    if "/" in program:
        found = ctx.path(program)
        if found is None or not found[1]:
            return None
        dirs = [posixpath.dirname(found[0])]
    else:
        dirs = ctx.path_dirs()
        if dirs is None:
            return None
    out = []
    for d in dirs:
        if d.endswith("/sbin"):
            continue
        if d in ("/bin", "/usr/bin"):
            out += ["/usr/lib", "/usr/lib64", "/usr/bin", "/usr/include", "/usr/share", "/usr/local"]
        else:
            out.append(posixpath.dirname(d) if posixpath.basename(d) == "bin" else d)
    return out


_local = local_value  # also used by commands_system


def pip(ctx: Ctx, words):
    inv = ctx.inv
    if inv.tool != "pip" or inv.unknown:
        raise Unknown("pip")
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE"):  # what pip sees as installed, and where
        if name in ctx.state.env_names or name in ctx.shell_vars:
            raise Unknown(name)
    _pip_common(ctx, inv)
    program = inv.command.words[0].value  # pip, or the python of ``python -m pip``
    if "PYTHONNOUSERSITE" not in ctx.state.env_names and not inv.option_values("--isolated"):
        ctx.read_config("~/.local", tree=True)  # the user's site-packages: what pip sees as installed
    sub = inv.sub
    if sub is None and any(n in ("--version", "--help") for n, _, _ in inv.options):
        return ctx.effect()
    manifests = ("--requirement", "--constraint")
    if any(n in ("--python", "--editable", "--src", "--group") or (n in manifests and not ctx.manifests_read)
           for n, _, _ in inv.options):
        raise Unknown("pip reads files it is told about only in its manifests")  # --group: ./pyproject.toml
    for name, value, word in inv.options:
        if name in manifests and value is not None:
            ctx.read(replace(word, value=value))  # (the files they include: the caller, which resolved them)
    if sub in ("freeze", "list", "show", "check", "inspect", "help"):
        return ctx.effect()
    if sub in ("cache purge", "cache remove"):
        return ctx.effect()
    if sub not in ("install", "uninstall", "download", "wheel"):
        raise Unknown("pip " + str(sub))
    if any(_local(w.value) or w.has_expansion for w in inv.args):
        raise Unknown("pip with a local path")
    for name, value, word in inv.options:
        if value is None:
            continue
        vword = replace(word, value=value)
        if name in ("--target", "--prefix", "--root", "--dest", "--wheel-dir"):
            ctx.write(vword, tree=True)
        elif name in ("--report", "--log") and value != "-":
            ctx.write(vword)
        elif name in ("--find-links", "--index-url", "--extra-index-url") and not value.startswith(("http://", "https://")):
            if value.startswith("file:"):
                raise Unknown("pip with a file: URL")
            ctx.read(vword, tree=True)  # a local folder of wheels, or one laid out as an index
        elif name in ("--cert", "--client-cert"):
            ctx.read(vword)
    if sub == "download" and not inv.option_values("--dest"):
        ctx.write(".", tree=True)
    if sub == "wheel" and not inv.option_values("--wheel-dir"):
        ctx.write(".", tree=True)
    if sub in ("install", "uninstall"):
        if inv.option_values("--user"):
            ctx.write("~/.local", tree=True)
        elif not any(inv.option_values(n) for n in ("--target", "--prefix", "--root")):
            prefixes = _prefixes(ctx, program)
            if prefixes is None:
                ctx.anything.add("write")
            for p in prefixes or ():
                ctx.write(p, tree=True)
    return ctx.effect()


MODELS = {
    "curl": curl, "wget": wget, "git": git, "tar": tar, "python": python, "pip": None,
}
MODELS["pip"] = pip  # defined after python(), which calls it for ``python -m pip``
