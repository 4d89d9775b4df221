"""The package's top level: what ``import cronsec`` loads, and every public name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import cronsec

ROOT = Path(__file__).resolve().parent.parent

# What the timer brings; an application that only reads expressions should not pay for it.
TIMER_ONLY = (
    "asyncio",
    "concurrent.futures",
    "multiprocessing",
    "sqlite3",
    "cronsec._asyncio",
    "cronsec._processes",
    "cronsec._runtime",
    "cronsec._threads",
    "cronsec.stores",
)


def _fresh(code: str) -> str:
    """Run ``code`` in a new interpreter that imports this checkout's cronsec."""
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_loads_the_engine_only() -> None:
    out = _fresh(
        "import cronsec\n"
        "from datetime import datetime\n"
        "print(cronsec.CronExpr('0 30 9 * * mon-fri').next(datetime(2026, 11, 30, 10)))\n"
        f"print(sorted(m for m in {TIMER_ONLY!r} if m in sys.modules))\n"
    )
    fire, loaded = out.splitlines()
    assert fire == "2026-12-01 09:30:00"
    assert loaded == "[]"


def test_a_timer_name_imports_its_module_on_first_use() -> None:
    out = _fresh(
        "import cronsec\n"
        "print('cronsec._scheduler' in sys.modules)\n"
        "s = cronsec.Scheduler\n"
        "print('cronsec._scheduler' in sys.modules, s.__module__, s is cronsec.Scheduler)\n"
    )
    assert out.split() == ["False", "True", "cronsec._scheduler", "True"]


@pytest.mark.parametrize("name", cronsec.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(cronsec, name)
    assert getattr(value, "__module__", "").startswith("cronsec"), (name, value)
    assert name in dir(cronsec)


def test_star_import_brings_every_public_name() -> None:
    space: dict[str, object] = {}
    exec("from cronsec import *", space)
    assert set(cronsec.__all__) <= set(space)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="'nope'"):
        cronsec.nope  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(cronsec, "_asyncio_scheduler")
