"""Benchmark cronsec's expression engine against croniter, cronsim, APScheduler 3.x and cronexpr.

Run from a checkout (the benchmark-only peers come with the ``bench`` extra)::

    pip install -e ".[bench]"          # croniter, cronsim, apscheduler<4, cronexpr
    python benchmarks/bench_engine.py  # about 1-2 minutes
    python benchmarks/bench_engine.py --quick

Everything runs in one process. For every expression of the corpus it measures

(a) ``next`` from 200 varied start times (fixed seed), microseconds per call;
(b) iterating fire times forward (10,000, or as many as fall before 2199-12-31, the
    last year cronexpr can compute), microseconds per item;
(c) construction, microseconds per object (the corpus, and further forms: names,
    wrap-around ranges, lists, steps, day items, macros and year fields),

for cronsec and for each peer that can express the expression *and* answers as
SPEC.md does: before a peer is timed on an expression, its ``next`` from every start
time and its first iterated fire times are compared with cronsec's; a peer that
cannot parse the expression is shown as ``unsupp``, one that answers differently as
``differs`` (the first difference is listed under the tables).

It also reports the slowest single ``next``/``prev`` call over the corpus plus some
adversarial expressions, the memory one ``CronExpr`` holds (tracemalloc), and whether
constructing the same text twice is served from a cache.

Each figure is the best of several repeats (``time.perf_counter_ns``, garbage
collector off while timing). See benchmarks/README.md for how each peer is called.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from itertools import islice, takewhile
from typing import Any, Callable

perf = time.perf_counter_ns

CORPUS: list[tuple[str, str]] = [
    ("typical", "*/5 * * * * 1-5"),
    ("typical", "0 0 9 * * mon-fri"),
    ("typical", "0 */15 * * * *"),
    ("typical", "30 4 1,15 * 5"),
    ("sparse", "0 0 0 29 2 *"),
    ("sparse", "0 0 12 13 * 5"),
    ("sparse", "59 59 23 31 12 *"),
    ("sparse", "0 0 0 31 * *"),
    ("dense", "* * * * * *"),
    ("dense", "*/2 * * * * *"),
    ("sec8", "0 0 0 LW * *"),
    ("sec8", "0 0 9 * * FRI#2"),
    ("sec8", "0 0 0 L * 5"),
    ("sec8", "0 0 0 15W * *"),
    ("sec8", "0 0 12 * * MON 2027-2030"),
]

# Extra expressions for the slowest-single-call measurement only.
ADVERSARIAL = [
    "0 0 0 * 2 MON#5",
    "0 0 0 29 2 1",
    "59 59 23 L * *",
    "0 0 0 1 1 * 2020",  # a year field that has passed
    "0 0 0 1 1 * 2100",
    "0 0 0 1 1 * 9999",
]

# Further forms for the construction table (c) only: names, wrap-around ranges, lists,
# steps, day items, macros, `?` and year fields, beside the corpus's.
CONSTRUCTION_FORMS: list[tuple[str, str]] = [
    ("names", "0 0 9 * jan-jun mon-fri"),
    ("wrap", "0 0 22-2 * * fri-mon"),
    ("list", "0 0,30 8,12,18 1,15 * *"),
    ("steps", "*/10 */5 */2 */3 */2 *"),
    ("steps", "0 10-50/20 9-17/2 * * *"),
    ("sec8", "0 0 0 L-3 * *"),
    ("sec8", "0 0 0 * * 5L"),
    ("sec8", "0 0 12 ? * MON"),
    ("macro", "@hourly"),
    ("macro", "@daily"),
    ("year", "0 0 0 1 1 * */4"),
    ("year", "0 0 12 * * MON 2027,2029"),
]


def crontab_lines(n: int, seed: int = 20260101) -> list[str]:
    """n distinct five-field lines, each field drawn from bodies people write."""
    r = random.Random(seed)

    def pick(lo: int, hi: int, steps: tuple[int, ...], names: tuple[str, ...] = ()) -> str:
        k = r.random()
        if k < 0.45:
            return str(r.randrange(lo, hi + 1))
        if k < 0.6:
            return "*"
        if k < 0.75:
            return f"*/{r.choice(steps)}"
        if k < 0.85:
            a = r.randrange(lo, hi)
            return f"{a}-{r.randrange(a + 1, hi + 1)}"
        if k < 0.95 or not names:
            return ",".join(str(v) for v in sorted(r.sample(range(lo, hi + 1), 2)))
        return r.choice(names)

    out: set[str] = set()
    while len(out) < n:
        out.add(
            " ".join(
                [
                    pick(0, 59, (5, 10, 15, 20, 30)),
                    pick(0, 23, (2, 3, 4, 6, 8, 12)),
                    pick(1, 28, (2, 7, 10, 14)),
                    pick(1, 12, (2, 3, 4, 6), ("jan-jun", "jul-dec")),
                    pick(0, 6, (2,), ("mon-fri", "sat,sun", "mon")),
                ]
            )
        )
    return sorted(out)


SEED = 20260101
ITER_START = datetime(2000, 1, 1)
ITER_END = datetime(2199, 12, 31)  # cronexpr computes years 1970-2199 only
UTC = timezone.utc


class Unsupported(Exception):
    """The peer has no spelling for this expression (or rejects it)."""


# ---------------------------------------------------------------------------
# start times


def make_starts(n: int) -> list[datetime]:
    """n start times with whole seconds in 2000-2029: 3/4 uniform, 1/4 on month edges."""
    rnd = random.Random(SEED)
    lo = datetime(2000, 1, 1)
    span = int((datetime(2030, 1, 1) - lo).total_seconds())
    starts = []
    n_edge = n // 4
    for _ in range(n - n_edge):
        starts.append(lo + timedelta(seconds=rnd.randrange(span)))
    for _ in range(n_edge):
        year, month = rnd.randrange(2000, 2030), rnd.randrange(1, 13)
        first_next = datetime(year + month // 12, month % 12 + 1, 1)
        last_day = first_next - timedelta(days=1)
        day = rnd.choice([1, 28, last_day.day, 15])
        t = datetime(year, month, min(day, last_day.day))
        if rnd.random() < 0.5:
            t = t.replace(hour=23, minute=59, second=59)
        starts.append(t)
    rnd.shuffle(starts)
    return starts


# ---------------------------------------------------------------------------
# translation helpers


def six_fields(text: str) -> list[str]:
    """Fields with the seconds first (a five-field expression gets second 0)."""
    f = text.split()
    if len(f) == 5:
        f = ["0", *f]
    return f


DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_NAME_TO_CRON = {n: i for i, n in enumerate(DOW_NAMES[:7])}


def _dow_value(v: str) -> int:
    v = v.lower()
    if v in _NAME_TO_CRON:
        return _NAME_TO_CRON[v]
    if v.isdigit() and 0 <= int(v) <= 7:
        return int(v) % 7
    raise Unsupported(f"day-of-week value {v!r}")


def aps_kwargs(text: str) -> dict[str, str]:
    """APScheduler 3.x CronTrigger keyword arguments for a cronsec expression.

    APScheduler ANDs ``day`` and ``day_of_week`` and numbers weekdays 0 = Monday, so
    weekdays are passed as names; ``5L`` -> day='last fri', ``FRI#2`` -> day='2nd fri'
    (only when day-of-month is unrestricted), ``L`` -> day='last'. ``W`` items and
    ``L-n`` have no spelling.
    """
    f = six_fields(text)
    if len(f) not in (6, 7):
        raise Unsupported("field count")
    sec, minute, hour, dom, month, dow = f[:6]
    kw = {"second": sec, "minute": minute, "hour": hour, "month": month}
    if len(f) == 7:
        kw["year"] = f[6]
    dom = "*" if dom == "?" else dom
    dow = "*" if dow == "?" else dow
    if "W" in dom.upper() or "L-" in dom.upper():
        raise Unsupported("W / L-n")
    if dom.upper() == "L":
        dom = "last"
    ordinals = {"1": "1st", "2": "2nd", "3": "3rd", "4": "4th", "5": "5th"}
    m_nth = re.fullmatch(r"(\w+)#([1-5])", dow)
    m_last = re.fullmatch(r"(\w+)L", dow, flags=re.IGNORECASE)
    if m_nth or m_last:
        if dom != "*":
            raise Unsupported("# / dL beside a day-of-month (APScheduler ANDs)")
        m = m_nth or m_last
        assert m is not None
        name = DOW_NAMES[_dow_value(m.group(1))]
        kw["day"] = f"{ordinals[m.group(2)]} {name}" if m_nth else f"last {name}"
        return kw
    items = []
    for item in dow.split(","):
        if item == "*":
            items.append("*")
            continue
        if "/" in item:
            raise Unsupported("day-of-week step")
        if "-" in item:
            a, b = item.split("-")
            items.append(f"{DOW_NAMES[_dow_value(a)]}-{DOW_NAMES[_dow_value(b)]}")
        else:
            items.append(DOW_NAMES[_dow_value(item)])
    if items != ["*"]:
        kw["day_of_week"] = ",".join(items)
    if dom != "*":
        kw["day"] = dom
    return kw


# ---------------------------------------------------------------------------
# the implementations


class Impl:
    """One library, called the fastest way it offers for each operation."""

    name = ""
    pure_python = True

    def build(self, text: str) -> Any:
        """The library's compiled expression (raise Unsupported if it has no spelling)."""
        raise NotImplementedError

    def native(self, t: datetime) -> Any:
        """A naive start time in the form the library takes."""
        return t

    def naive(self, r: Any) -> datetime:
        return r  # type: ignore[no-any-return]

    def nexter(self, obj: Any) -> Callable[[Any], Any]:
        raise NotImplementedError

    def iterator(self, obj: Any, start: Any) -> Iterator[Any]:
        raise NotImplementedError

    def constructor(self, text: str) -> Callable[[], Any] | None:
        """A zero-argument callable constructing the expression anew; None: no such step."""
        raise NotImplementedError


class Cronsec(Impl):
    name = "cronsec"

    def __init__(self) -> None:
        from cronsec import CronExpr

        self.CronExpr = CronExpr

    def build(self, text: str) -> Any:
        return self.CronExpr(text)

    def nexter(self, obj: Any) -> Callable[[Any], Any]:
        return obj.next  # type: ignore[no-any-return]

    def iterator(self, obj: Any, start: Any) -> Iterator[Any]:
        return obj.iter(start)  # type: ignore[no-any-return]

    def constructor(self, text: str) -> Callable[[], Any] | None:
        return partial(self.CronExpr, text)


class Croniter(Impl):
    name = "croniter"

    def __init__(self) -> None:
        from croniter import croniter

        self.cls = croniter

    @staticmethod
    def translate(text: str) -> str:
        if text.startswith("@"):
            return text  # croniter knows the macros
        f = six_fields(text)
        # croniter spells the last Friday "L5"
        f[5] = ",".join(
            "L" + it[:-1] if re.fullmatch(r"\w+L", it, re.IGNORECASE) else it
            for it in f[5].split(",")
        )
        return " ".join([*f[1:6], f[0], *f[6:]])  # seconds after day-of-week, year last

    def build(self, text: str) -> Any:
        try:
            return self.cls(self.translate(text), ITER_START, ret_type=datetime)
        except Exception as exc:
            raise Unsupported(repr(exc)) from exc

    def nexter(self, obj: Any) -> Callable[[Any], Any]:
        return partial(obj.get_next, datetime)  # get_next(ret_type, start_time)

    def iterator(self, obj: Any, start: Any) -> Iterator[Any]:
        return obj.all_next(datetime, start)  # type: ignore[no-any-return]

    def constructor(self, text: str) -> Callable[[], Any] | None:
        return partial(self.cls, self.translate(text), ITER_START)


class Cronsim(Impl):
    name = "cronsim"

    def __init__(self) -> None:
        from cronsim import CronSim

        self.cls = CronSim

    def build(self, text: str) -> Any:
        try:
            return self.cls(" ".join(six_fields(text)), ITER_START)
        except Exception as exc:
            raise Unsupported(repr(exc)) from exc

    def nexter(self, obj: Any) -> Callable[[Any], Any]:
        # CronSim is an iterator from the datetime it was built with; re-aiming a
        # built one (exactly what its __init__ does for a naive forward start) spares
        # a parse per call, so cronsim is timed at its fastest.
        def nxt(t: datetime, s: Any = obj) -> datetime:
            s.dt = t
            return next(s)  # type: ignore[no-any-return]

        return nxt

    def iterator(self, obj: Any, start: Any) -> Iterator[Any]:
        obj.dt = start
        return obj  # type: ignore[no-any-return]

    def constructor(self, text: str) -> Callable[[], Any] | None:
        return partial(self.cls, " ".join(six_fields(text)), ITER_START)


class Apscheduler(Impl):
    name = "apscheduler"

    def __init__(self) -> None:
        from apscheduler.triggers.cron import CronTrigger

        self.cls = CronTrigger

    def build(self, text: str) -> Any:
        kw = aps_kwargs(text)
        try:
            return self.cls(**kw, timezone=UTC)
        except Exception as exc:
            raise Unsupported(repr(exc)) from exc

    def native(self, t: datetime) -> Any:
        return t.replace(tzinfo=UTC)

    def naive(self, r: Any) -> datetime:
        return r.replace(tzinfo=None)  # type: ignore[no-any-return]

    def nexter(self, obj: Any) -> Callable[[Any], Any]:
        g = obj.get_next_fire_time
        # previous_fire_time=t, now=t: the earliest fire time strictly after t
        return lambda t: g(t, t)

    def iterator(self, obj: Any, start: Any) -> Iterator[Any]:
        g = obj.get_next_fire_time
        t = start
        while True:
            t = g(t, t)
            if t is None:
                return
            yield t

    def constructor(self, text: str) -> Callable[[], Any] | None:
        return partial(self.cls, **aps_kwargs(text), timezone=UTC)


class Cronexpr(Impl):
    name = "cronexpr"
    pure_python = False

    def __init__(self) -> None:
        # The extension module itself: cronexpr.next_fire() adds two timestamp
        # conversions in Python; naive datetimes are local time, TZ is set to UTC.
        import _ccronexpr

        self.cron_next = _ccronexpr.cron_next

    def build(self, text: str) -> Any:
        spelled = " ".join(six_fields(text))
        try:
            self.cron_next(spelled, ITER_START)
        except ValueError as exc:  # parse errors; RuntimeError = no answer = differs
            raise Unsupported(repr(exc)) from exc
        return spelled

    def nexter(self, obj: Any) -> Callable[[Any], Any]:
        return partial(self.cron_next, obj)  # parses the text on every call

    def iterator(self, obj: Any, start: Any) -> Iterator[Any]:
        nxt = self.cron_next
        t = start
        while True:
            t = nxt(obj, t)
            yield t

    def constructor(self, text: str) -> Callable[[], Any] | None:
        return None  # no compiled form: every call parses


PEER_CLASSES: list[type[Impl]] = [Croniter, Cronsim, Apscheduler, Cronexpr]


# ---------------------------------------------------------------------------
# timing


def best_ns(fn: Callable[[], Any], repeats: int, budget_ns: int) -> int:
    """Best wall time of fn() over up to `repeats` runs (at least 2, stops after budget)."""
    best = None
    spent = 0
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for i in range(repeats):
            t0 = perf()
            fn()
            dt = perf() - t0
            best = dt if best is None else min(best, dt)
            spent += dt
            if i >= 1 and spent > budget_ns:
                break
    finally:
        if gc_was:
            gc.enable()
    assert best is not None
    return best


def loop_calls(f: Callable[[Any], Any], args: list[Any]) -> Callable[[], None]:
    def run() -> None:
        for a in args:
            f(a)

    return run


class _Floor:
    """What any next(t) must do: be called, read t's fields, build one datetime."""

    def next(self, t: datetime) -> datetime:
        return datetime(t.year, t.month, t.day, t.hour, t.minute, t.second)


def loop_construct(c: Callable[[], Any], n: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(n):
            c()

    return run


def drain(impl: Impl, obj: Any, start: Any, n: int) -> Callable[[], None]:
    def run() -> None:
        deque(islice(impl.iterator(obj, start), n), maxlen=0)

    return run


# ---------------------------------------------------------------------------
# cronsec-only measurements


def _fresh_variants(text: str, n: int) -> list[str]:
    """n distinct spellings of text, all of one length: 12 leading spaces and tabs.

    cronsec caches by the exact text, so each spelling is a construction from scratch.
    """
    assert n <= 4096
    return ["".join(" \t"[(k >> i) & 1] for i in range(12)) + text for k in range(n)]


def deep_size(obj: object, seen: set[int] | None = None) -> int:
    """Bytes of an object and everything it holds (slots, tuples), each object once."""
    seen = set() if seen is None else seen
    if obj is None or id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, (tuple, list, set, frozenset)):
        size += sum(deep_size(item, seen) for item in obj)
    for name in getattr(type(obj), "__slots__", ()):
        if hasattr(obj, name):
            size += deep_size(getattr(obj, name), seen)
    return size


def memory_of(CronExpr: Any, text: str) -> tuple[int, int]:
    """Bytes retained by constructing text the first time, and after a first next()."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        e = CronExpr(text)
        built = tracemalloc.get_traced_memory()[0] - before
        r = e.next(datetime(2026, 5, 1, 12, 0, 0))
        del r
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del e
    return built, used


EDGE_STARTS = [
    datetime(1, 1, 1),
    datetime(1, 1, 1, 0, 0, 1),
    datetime(1970, 1, 1),
    datetime(2000, 2, 29, 23, 59, 59),
    datetime(2044, 2, 28),
    datetime(2044, 3, 1),
    datetime(2100, 2, 28, 23, 59, 59),
    datetime(9999, 12, 31, 23, 59, 59),
    datetime(9999, 12, 31, 23, 59, 59, 999999),
    datetime(9999, 1, 1),
    datetime(9998, 12, 31),
]


def slowest_single_call(
    CronExpr: Any, texts: list[str], starts: list[datetime]
) -> tuple[float, str, float]:
    """Max over (expression, start, direction) of the best of 3 timings of one call."""
    worst = (0, "")
    all_times = []
    gc.disable()
    try:
        for text in texts:
            e = CronExpr(text)
            for t in starts + EDGE_STARTS:
                for name, f in (("next", e.next), ("prev", e.prev)):
                    best = None
                    for _ in range(3):
                        t0 = perf()
                        with contextlib.suppress(OverflowError):
                            f(t)
                        dt = perf() - t0
                        best = dt if best is None else min(best, dt)
                    assert best is not None
                    all_times.append(best)
                    if best > worst[0]:
                        worst = (best, f"{name}({t.isoformat()}) on {text!r}")
    finally:
        gc.enable()
    return worst[0] / 1000, worst[1], statistics.median(all_times) / 1000


# ---------------------------------------------------------------------------
# output helpers


def fmt(us: float | None) -> str:
    if us is None:
        return "-"
    if us >= 100:
        return f"{us:.0f}"
    if us >= 10:
        return f"{us:.1f}"
    return f"{us:.2f}"


def fmt_x(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.1f}x" if x >= 1 else f"{x:.2f}x"


def geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))
    )
    print(line)
    print("-" * len(line))
    for r in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))
            )
        )


# ---------------------------------------------------------------------------
# main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run: fewer starts, items, repeats")
    args = ap.parse_args(argv)

    if hasattr(time, "tzset"):  # cronexpr reads naive datetimes as local time
        os.environ["TZ"] = "UTC"
        time.tzset()

    n_starts = 50 if args.quick else 200
    n_iter = 2_000 if args.quick else 10_000
    n_construct = 50 if args.quick else 200
    repeats = 3 if args.quick else 7
    budget = (40 if args.quick else 250) * 1_000_000  # ns per measurement after 2 runs
    n_verify_iter = 300

    t_begin = perf()
    starts = make_starts(n_starts)

    try:
        cs = Cronsec()
    except ImportError as exc:
        print(f"cronsec is not importable ({exc}); nothing to compare against.")
        return 2

    # Memory first: every corpus text is still unseen by any cache.
    cs.build("1 2 3 4 5 6").next(datetime(2026, 1, 1))  # warm lazily built module state
    memory = {text: memory_of(cs.CronExpr, text) for _, text in CORPUS}

    peers: list[Impl] = []
    missing = []
    for cls in PEER_CLASSES:
        try:
            peers.append(cls())
        except ImportError:
            missing.append(cls.name)
    impls: list[Impl] = [cs, *peers]

    print(f"cronsec engine benchmark  ({'quick' if args.quick else 'full'} run)")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.machine()}, {platform.system()}; {n_starts} start times, seed {SEED}; "
        f"iteration from {ITER_START:%Y-%m-%d}, up to {n_iter} items before {ITER_END:%Y-%m-%d}"
    )
    versions = []
    for mod in ("croniter", "cronsim", "apscheduler", "cronexpr"):
        try:
            from importlib.metadata import version

            versions.append(f"{mod} {version(mod)}")
        except Exception:
            versions.append(f"{mod} (not installed)")
    print("peers: " + ", ".join(versions))
    if missing:
        print("missing peers, skipped: " + ", ".join(missing))
    print()

    status: dict[tuple[str, str], str] = {}  # (impl, text) -> "ok" | "differs" | "unsupp"
    notes: list[str] = []
    res_a: dict[tuple[str, str], float] = {}
    res_b: dict[tuple[str, str], float] = {}
    res_c: dict[tuple[str, str], float] = {}
    cold_c: dict[str, float] = {}
    n_items: dict[str, int] = {}

    for _group, text in CORPUS:
        e = cs.build(text)
        ref_next = [e.next(t) for t in starts]
        ref_iter = []
        for r in islice(e.iter(ITER_START), n_iter):
            if r >= ITER_END:
                break
            ref_iter.append(r)
        n = len(ref_iter)
        n_items[text] = n

        for impl in impls:
            key = (impl.name, text)
            if impl is not cs:
                obj, status[key] = check_peer(
                    impl, text, starts, ref_next, ref_iter[:n_verify_iter], notes
                )
                if obj is None:
                    continue
            else:
                obj = e
            status[key] = "ok"
            nstarts = [impl.native(t) for t in starts]
            f = impl.nexter(obj)
            res_a[key] = best_ns(loop_calls(f, nstarts), repeats, budget) / len(starts) / 1000
            if n:
                run = drain(impl, obj, impl.native(ITER_START), n)
                res_b[key] = best_ns(run, repeats, budget) / n / 1000
            c = impl.constructor(text)
            if c is not None:
                res_c[key] = best_ns(loop_construct(c, n_construct), repeats, budget) / (
                    n_construct * 1000
                )
        cold_c[text] = time_new_texts(cs, text, n_construct, repeats)

    # (c) only: the further forms, each peer checked first as for the corpus
    builders = [p for p in peers if p.constructor("* * * * * *") is not None]
    for _group, text in CONSTRUCTION_FORMS:
        e = cs.build(text)
        ref_next = [e.next(t) for t in starts]
        ref_iter = list(
            islice(takewhile(lambda r: r < ITER_END, e.iter(ITER_START)), n_verify_iter)
        )
        status[("cronsec", text)] = "ok"
        for impl in [cs, *builders]:
            key = (impl.name, text)
            if impl is not cs:
                _obj, status[key] = check_peer(impl, text, starts, ref_next, ref_iter, notes)
                if status[key] != "ok":
                    continue
            c = impl.constructor(text)
            if c is not None:
                res_c[key] = best_ns(loop_construct(c, n_construct), repeats, budget) / (
                    n_construct * 1000
                )
        cold_c[text] = time_new_texts(cs, text, n_construct, repeats)

    peer_names = [p.name for p in peers]

    def cell(table: dict[tuple[str, str], float], name: str, text: str) -> str:
        st = status.get((name, text), "-")
        if st != "ok":
            return st
        return fmt(table.get((name, text)))

    def fastest(table: dict[tuple[str, str], float], text: str, pure: bool | None) -> float | None:
        vals = [
            table[(p.name, text)]
            for p in peers
            if (p.name, text) in table and (pure is None or p.pure_python == pure)
        ]
        return min(vals) if vals else None

    def speedup(table: dict[tuple[str, str], float], text: str, pure: bool | None) -> float | None:
        f = fastest(table, text, pure)
        mine = table.get(("cronsec", text))
        return f / mine if f and mine else None

    # (a)
    print("(a) next(t) from varied start times: microseconds per call")
    rows = []
    sx_py, sx_c, sx_all = [], [], []
    for group, text in CORPUS:
        a, b, c = (
            speedup(res_a, text, True),
            speedup(res_a, text, False),
            speedup(res_a, text, None),
        )
        sx_py.append(a)
        sx_c.append(b)
        sx_all.append(c)
        rows.append(
            [f"{text}  [{group}]"]
            + [cell(res_a, x, text) for x in ["cronsec", *peer_names]]
            + [fmt_x(a), fmt_x(b), fmt_x(c)]
        )
    rows.append(
        ["geometric mean"]
        + ["" for _ in ["cronsec", *peer_names]]
        + [fmt_x(geomean(sx_py)), fmt_x(geomean(sx_c)), fmt_x(geomean(sx_all))]
    )
    print_table(["expression", "cronsec", *peer_names, "x py", "x C", "x fastest"], rows)
    print(
        "x py: speed-up over the fastest pure-Python peer (croniter/cronsim/apscheduler); "
        "x C: over cronexpr; x fastest: over the fastest peer"
    )
    print()

    # (b)
    print("(b) iterating fire times: microseconds per item")
    rows = []
    sx_py, sx = [], []
    for group, text in CORPUS:
        p, s = speedup(res_b, text, True), speedup(res_b, text, None)
        sx_py.append(p)
        sx.append(s)
        rows.append(
            [f"{text}  [{group}]", str(n_items[text])]
            + [cell(res_b, x, text) for x in ["cronsec", *peer_names]]
            + [fmt_x(p), fmt_x(s)]
        )
    rows.append(
        ["geometric mean", ""]
        + ["" for _ in ["cronsec", *peer_names]]
        + [fmt_x(geomean(sx_py)), fmt_x(geomean(sx))]
    )
    print_table(["expression", "items", "cronsec", *peer_names, "x py", "x fastest"], rows)
    print()

    # (c)
    print("(c) construction: microseconds per object")
    cpeers = [p.name for p in peers if p.constructor("* * * * * *") is not None]
    rows = []
    sx_cold, sx_hot = [], []
    for group, text in CORPUS + CONSTRUCTION_FORMS:
        f = fastest(res_c, text, None)
        cold = cold_c.get(text)
        hot = res_c.get(("cronsec", text))
        sc = f / cold if f and cold else None
        sh = f / hot if f and hot else None
        sx_cold.append(sc)
        sx_hot.append(sh)
        rows.append(
            [f"{text}  [{group}]", fmt(cold), fmt(hot)]
            + [cell(res_c, x, text) for x in cpeers]
            + [fmt_x(sc), fmt_x(sh)]
        )
    rows.append(
        ["geometric mean", "", ""]
        + ["" for _ in cpeers]
        + [fmt_x(geomean(sx_cold)), fmt_x(geomean(sx_hot))]
    )
    print_table(
        ["expression", "cronsec new", "cronsec same", *cpeers, "x fastest(new)", "x fastest(same)"],
        rows,
    )
    print(
        "cronsec new: a text not seen before (leading white space varies); "
        "same: the same text again. cronexpr has no construction step (it parses on every call)."
    )
    print()

    # section 8 vs plain
    plain = [res_a[("cronsec", t)] for g, t in CORPUS if g != "sec8"]
    sec8 = [res_a[("cronsec", t)] for g, t in CORPUS if g == "sec8"]
    gp, g8 = geomean(plain), geomean(sec8)
    assert gp and g8
    print(
        f"cronsec next(): section-8 forms {fmt(g8)} us vs plain forms {fmt(gp)} us "
        f"(geometric means; ratio {g8 / gp:.2f}, worst section-8 form {fmt(max(sec8))} us)"
    )

    # the floor CPython allows a next(t): a method call, the fields read, one datetime built
    floor = best_ns(loop_calls(_Floor().next, starts), repeats, budget) / len(starts) / 1000
    every = geomean([res_a[("cronsec", t)] for _, t in CORPUS])
    assert every
    print(
        f"floor of a next(t) here (method call, six fields read, one datetime built): "
        f"{fmt(floor)} us; cronsec next() geometric mean {fmt(every)} us = "
        f"{every / floor:.1f}x the floor"
    )

    # slowest single call
    texts = [t for _, t in CORPUS] + ADVERSARIAL
    worst, where, median = slowest_single_call(cs.CronExpr, texts, starts)
    print(
        f"slowest single next/prev call: {fmt(worst)} us ({where}); median {fmt(median)} us "
        f"over {len(texts)} expressions x {len(starts) + len(EDGE_STARTS)} starts x 2"
    )

    # memory
    built = [m[0] for m in memory.values()]
    used = [m[1] for m in memory.values()]
    big = max(memory, key=lambda k: memory[k][1])
    print(
        f"memory of one CronExpr (tracemalloc, first construction of a fresh text, cache entry "
        f"included): median {statistics.median(built):.0f} B, max {max(built)} B; after a first "
        f"next(): median {statistics.median(used):.0f} B, max {max(used)} B ({big!r})"
    )
    graphs = {text: deep_size(cs.CronExpr(text)) for _, text in CORPUS}
    print(
        "memory one CronExpr holds (its object graph: text, search tables, day table, "
        f"meaning key; tracemalloc above also counts parser garbage kept on CPython's free "
        f"lists): median {statistics.median(graphs.values()):.0f} B, max {max(graphs.values())} B"
    )

    # distinct lines, each constructed once (cronsec's caches see each text for the first time)
    lines = crontab_lines(10_000)
    gc.disable()
    t0 = perf()
    for line in lines:
        cs.CronExpr(line)
    t_lines = (perf() - t0) / 1e9
    peer_lines = []
    for p in peers:
        if p.name == "cronsim":
            t0 = perf()
            for line in lines:
                p.constructor(line)()  # type: ignore[misc]
            peer_lines.append(f"cronsim {(perf() - t0) / 1e9:.3f} s")
    gc.enable()
    print(
        f"10,000 distinct crontab lines (fixed seed), each constructed once: cronsec "
        f"{t_lines:.3f} s" + ("; " + ", ".join(peer_lines) if peer_lines else "")
    )

    # cache
    fresh = "7 7 7 7 7 *"
    gc.disable()
    t0 = perf()
    first = cs.CronExpr(fresh)
    t_first = (perf() - t0) / 1000
    gc.enable()
    t_again = best_ns(loop_construct(partial(cs.CronExpr, fresh), 1000), 5, budget) / 1000 / 1000
    same = cs.CronExpr(fresh) is first
    print(
        f"cache: first construction of {fresh!r} (bodies new to this process) {fmt(t_first)} "
        f"us; the same text again {fmt(t_again)} us; "
        f"same object returned: {'yes' if same else 'no'}"
    )
    firsts = first_in_fresh_processes(fresh, 3 if args.quick else 7)
    print(
        f"first construction in a fresh process (import excluded), {fresh!r}: median "
        f"{fmt(statistics.median(firsts))} us ({fmt(min(firsts))}-{fmt(max(firsts))} over "
        f"{len(firsts)} processes)"
    )
    print()

    if notes:
        print("skipped peers:")
        for n in notes:
            print("  " + n)
        print()
    print(f"total run time {(perf() - t_begin) / 1e9:.0f} s")
    return 0


def check_peer(
    impl: Impl,
    text: str,
    starts: list[datetime],
    ref_next: list[datetime],
    ref_iter: list[datetime],
    notes: list[str],
) -> tuple[Any, str]:
    """The peer's compiled expression and "ok"; or None and "unsupp" (it has no spelling
    for the text) or "differs" (it answers otherwise than cronsec), noted in ``notes``."""
    try:
        obj = impl.build(text)
    except Unsupported as exc:
        notes.append(f"{impl.name} on {text!r}: skip (unsupported): {exc}")
        return None, "unsupp"
    why = verify(impl, obj, starts, ref_next, ref_iter)
    if why:
        notes.append(f"{impl.name} on {text!r}: skip (differs): {why}")
        return None, "differs"
    return obj, "ok"


def time_new_texts(cs: Cronsec, text: str, n: int, repeats: int) -> float:
    """Microseconds per CronExpr of a spelling of ``text`` not constructed before."""
    best = None
    for rep in range(max(2, repeats // 2)):
        variants = _fresh_variants(text, n * (rep + 2))[n * (rep + 1) :]
        gc.disable()
        t0 = perf()
        for s in variants:
            cs.CronExpr(s)
        dt = perf() - t0
        gc.enable()
        best = dt if best is None else min(best, dt)
    assert best is not None
    return best / n / 1000


def first_in_fresh_processes(text: str, runs: int) -> list[float]:
    """Microseconds of the first CronExpr(text) in each of ``runs`` new interpreters,
    import excluded (the same cronsec as this process imports)."""
    import cronsec

    root = os.path.dirname(os.path.dirname(os.path.abspath(cronsec.__file__)))
    code = (
        f"import sys; sys.path.insert(0, {root!r}); import time; from cronsec import CronExpr; "
        f"t0 = time.perf_counter_ns(); CronExpr({text!r}); "
        "print((time.perf_counter_ns() - t0) / 1000)"
    )
    return [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
        for _ in range(runs)
    ]


def verify(
    impl: Impl, obj: Any, starts: list[datetime], ref_next: list[datetime], ref_iter: list[datetime]
) -> str:
    """'' when impl agrees with cronsec on next() from every start and the first items."""
    f = impl.nexter(obj)
    for t, want in zip(starts, ref_next):
        try:
            got = impl.naive(f(impl.native(t)))
        except Exception as exc:
            return f"next({t}) raised {exc!r}, cronsec {want}"
        if got != want:
            return f"next({t}) = {got}, cronsec {want}"
    it = impl.iterator(obj, impl.native(ITER_START))
    for i, want in enumerate(ref_iter):
        try:
            got = impl.naive(next(it))
        except Exception as exc:
            return f"iteration item {i} raised {exc!r}, cronsec {want}"
        if got != want:
            return f"iteration item {i} = {got}, cronsec {want}"
    return ""


if __name__ == "__main__":
    sys.exit(main())
