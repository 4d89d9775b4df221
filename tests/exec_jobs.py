"""Importable jobs for the executor suite: they leave their trace in files, so a worker
process shows what it did as plainly as a thread or a task does."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from cronsec import fire_time


def _note(path: str, word: str) -> None:
    instant = fire_time()
    stamp = instant.isoformat() if instant is not None else "none"
    with open(path, "a") as f:
        f.write(f"{word} {stamp} {os.getpid()}\n")


def note(path: str) -> None:
    _note(path, "ran")


def fail(path: str) -> None:
    _note(path, "failed")
    raise ValueError("this job fails")


def hold(path: str, release: str) -> None:
    """Run until the file ``release`` exists (at most 20 s: a failure guard)."""
    _note(path, "held")
    end = time.monotonic() + 20
    while not Path(release).exists() and time.monotonic() < end:
        time.sleep(0.005)


def sleep(path: str, seconds: float) -> None:
    _note(path, "slept")
    time.sleep(seconds)


async def anote(path: str) -> None:
    await asyncio.sleep(0)
    _note(path, "ran")


async def afail(path: str) -> None:
    _note(path, "failed")
    raise ValueError("this job fails")


async def ahold(path: str, release: str) -> None:
    _note(path, "held")
    end = time.monotonic() + 20
    while not Path(release).exists() and time.monotonic() < end:
        await asyncio.sleep(0.005)


async def asleep(path: str, seconds: float) -> None:
    _note(path, "slept")
    await asyncio.sleep(seconds)


def lines(path: str) -> list[list[str]]:
    p = Path(path)
    return [line.split() for line in p.read_text().splitlines()] if p.exists() else []
