"""Configuration: .dockfix.toml / [tool.dockfix], the closest wins, CLI flags win."""

import pytest

from dockfix.targets.config import Config, ConfigError, Overrides, find_config, load, settings_for


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    find_config.cache_clear()
    from dockfix.targets.config import config_in_dir

    config_in_dir.cache_clear()
    return path


def test_pyproject_table(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.dockfix]\nignore = ["df002"]\nunsafe-fixes = true\nexclude = ["old/"]\n')
    cfg = find_config(str(tmp_path / "deep" / "er"))
    assert cfg == Config(str(tmp_path / "pyproject.toml"), None, frozenset({"DF002"}), True, None, ("old/",))


def test_pyproject_without_the_table_does_not_count(tmp_path):
    write(tmp_path / ".dockfix.toml", 'select = ["DF001"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(str(tmp_path / "sub")).path == str(tmp_path / ".dockfix.toml")


def test_closest_wins_and_dockfix_toml_before_pyproject(tmp_path):
    write(tmp_path / ".dockfix.toml", 'select = ["DF001"]\n')
    write(tmp_path / "a" / "pyproject.toml", '[tool.dockfix]\nselect = ["DF002"]\n')
    write(tmp_path / "a" / ".dockfix.toml", 'add-syntax = true\n')
    assert settings_for(str(tmp_path / "a" / "Dockerfile"), Overrides()).select is None
    assert settings_for(str(tmp_path / "a" / "Dockerfile"), Overrides()).add_syntax is True
    assert settings_for(str(tmp_path / "b" / "Dockerfile"), Overrides()).select == {"DF001"}


@pytest.mark.parametrize(
    "overrides, expected",
    [
        pytest.param(Overrides(), dict(select={"DF001"}, ignore={"DF002"}, unsafe_fixes=True), id="config"),
        pytest.param(Overrides(select=frozenset({"DF002"})), dict(select={"DF002"}), id="select-replaces"),
        pytest.param(Overrides(ignore=frozenset({"DF001"})), dict(ignore={"DF001", "DF002"}), id="ignore-adds"),
        pytest.param(Overrides(unsafe_fixes=False), dict(unsafe_fixes=False), id="no-unsafe-fixes"),
    ],
)
def test_cli_wins(tmp_path, overrides, expected):
    write(tmp_path / ".dockfix.toml", 'select = ["DF001"]\nignore = ["DF002"]\nunsafe-fixes = true\n')
    settings = settings_for(str(tmp_path / "Dockerfile"), overrides)
    for key, value in expected.items():
        assert getattr(settings, key) == value
    assert settings_for(str(tmp_path / "Dockerfile"), overrides, use_config=False).unsafe_fixes is bool(overrides.unsafe_fixes)


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("select = [\n", "not valid TOML", id="toml"),
        pytest.param('selekt = ["DF001"]\n', "unknown key selekt", id="key"),
        pytest.param('select = ["DF123"]\n', "unknown rule code DF123 in select", id="code"),
        pytest.param("select = 'DF001'\n", "select must be a list", id="type"),
        pytest.param("unsafe-fixes = 1\n", "unsafe-fixes must be true or false", id="bool"),
    ],
)
def test_errors_name_the_file(tmp_path, text, message):
    path = write(tmp_path / ".dockfix.toml", text)
    with pytest.raises(ConfigError, match=message) as e:
        load(str(path))
    assert str(e.value).startswith(str(path))
