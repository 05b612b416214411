import pytest

from _paths import SHARED


@pytest.fixture
def shared():
    """../shared beside the project: present on the developers' machines and in CI, not for users."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED
