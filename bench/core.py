"""Scenario registry, measurements and reports."""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SIZES = {"tiny": 200, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}


@dataclass
class Context:
    """What a scenario may use: the population size and how to serve HTTP."""

    size_name: str
    members: int
    server_mode: str = "gunicorn"  # "gunicorn" (separate processes) or "thread" (in-process, for tests)
    seconds: float = 10.0  # upper bound for a load phase
    notes: list[str] = field(default_factory=list)

    @property
    def tiny(self) -> bool:
        return self.size_name == "tiny"


@dataclass
class Result:
    scenario: str
    figure: float
    unit: str
    baseline: float
    baseline_label: str
    higher_is_better: bool = True
    target: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if not self.baseline:
            return 0.0
        return self.figure / self.baseline

    def line(self) -> str:
        return (
            f"{self.scenario:<34} {self.figure:>12,.1f} {self.unit:<10} "
            f"baseline {self.baseline:>12,.1f} ({self.baseline_label})  ratio {self.ratio:,.3f}"
        )


Scenario = Callable[[Context], list[Result]]
REGISTRY: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(func: Scenario) -> Scenario:
        REGISTRY[name] = func
        return func

    return register


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(latencies_s: list[float]) -> dict[str, float]:
    ms = [value * 1000 for value in latencies_s]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else 0.0,
    }


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def write_report(results: list[Result], *, ctx: Context, database: str, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    info = machine()
    payload = {
        "generated_at": stamp,
        "size": ctx.size_name,
        "members": ctx.members,
        "database": database,
        "machine": info,
        "notes": ctx.notes,
        "results": [{**asdict(r), "ratio": r.ratio} for r in results],
    }
    json_path = out_dir / f"{stamp}.json"
    json_path.write_text(json.dumps(payload, indent=2, default=str))
    lines = [
        f"# Rangkul benchmark {stamp}",
        "",
        f"Size **{ctx.size_name}** ({ctx.members:,} members), database **{database}**, "
        f"{info['cpus']} CPUs, Python {info['python']}.",
        "",
        "| scenario | figure | baseline | ratio | target | details |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        details = ", ".join(f"{k}={v}" for k, v in r.details.items())
        lines.append(
            f"| {r.scenario} | {r.figure:,.1f} {r.unit} | {r.baseline:,.1f} ({r.baseline_label}) | "
            f"{r.ratio:,.3f} | {r.target} | {details} |"
        )
    if ctx.notes:
        lines += ["", "Notes:", *[f"- {note}" for note in ctx.notes]]
    md_path = out_dir / f"{stamp}.md"
    md_path.write_text("\n".join(lines) + "\n")
    return md_path, json_path
