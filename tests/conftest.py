"""Shared test settings: hypothesis profiles, and `need_binary` for tests that start a server.

CI runs hypothesis derandomized, so a red run repeats.
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The Debian package that brings each binary the tests start (scripts/install installs them).
APT_PACKAGES = {
    "redis-server": "redis-server",
    "openssl": "openssl",
    "initdb": "postgresql",
    "pg_ctl": "postgresql",
    "postgres": "postgresql",
    "chromium": "chromium",
}


def need_binary(name: str, *, why: str = "", search: Sequence[str] = ()) -> str:
    """The path of the executable ``name``, for a test that starts a real server with it.

    Looks on PATH, then in the ``search`` glob patterns (``/usr/lib/postgresql/*/bin/initdb``).
    When it is missing the test is skipped with the reason and what to install, except
    under CI (the ``CI`` environment variable set), where it fails: CI never skips.
    """
    path = shutil.which(name)
    if path is None:
        for pattern in search:
            found = sorted(p for p in glob.glob(pattern) if os.access(p, os.X_OK))
            if found:
                path = found[-1]  # the newest version, when several are installed
                break
    if path is not None:
        return path
    package = APT_PACKAGES.get(name, name)
    message = (
        f"{name} is not installed{f' ({why})' if why else ''}; "
        f"install it with: sudo apt-get install {package} (or run: bash scripts/install)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}. CI is set, so this fails instead of skipping.", pytrace=False)
    pytest.skip(message)
