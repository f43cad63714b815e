"""The benchmark report: figures (medians, ratios to a baseline measured in the same run) and
charts recorded by the benchmarks, written to tests/benchmarks/results/ at the end of a session.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import statistics
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

_figures: list[dict[str, Any]] = []
_charts: list[dict[str, Any]] = []
_run: dict[str, Any] = {}


def figure(
    section: str,
    name: str,
    runs: float | list[float],
    unit: str,
    *,
    baseline: tuple[str, float | list[float]] | None = None,
    note: str = "",
) -> float:
    """Records the median of `runs` (and its ratio to the baseline's median, the baseline
    named by its label), prints one line at once, returns the median."""
    _begin()
    values = _values(runs)
    median = statistics.median(values)
    entry: dict[str, Any] = {
        "section": section,
        "name": name,
        "median": median,
        "unit": unit,
        "runs": values,
        "baseline": None,
        "ratio": None,
        "note": note,
        "at": _now(),
    }
    line = f"[{section}] {name}: {_number(median)} {unit} (median of {len(values)})"
    if baseline is not None:
        label, baseline_runs = baseline
        base_values = _values(baseline_runs)
        base_median = statistics.median(base_values)
        ratio = median / base_median if base_median else None
        entry["baseline"] = {"label": label, "median": base_median, "runs": base_values}
        entry["ratio"] = ratio
        line += f"; {label} {_number(base_median)} {unit}, ratio {_ratio(ratio)}"
    if note:
        line += f"  ({note})"
    _replace(_figures, entry)
    print("\n" + line, flush=True)
    return median


def chart(
    section: str,
    name: str,
    *,
    x_label: str,
    y_label: str,
    series: dict[str, list[tuple[float, float]]],
    log_x: bool = False,
    note: str = "",
) -> None:
    """Records a line chart (one line per series) for the report."""
    _begin()
    entry = {
        "section": section,
        "name": name,
        "x_label": x_label,
        "y_label": y_label,
        "series": {
            label: [[float(x), float(y)] for x, y in points] for label, points in series.items()
        },
        "log_x": log_x,
        "note": note,
        "at": _now(),
    }
    _replace(_charts, entry)


def recorded() -> bool:
    return bool(_figures or _charts)


def started() -> None:
    """Marks the start of a session: its time and the machine's load then."""
    _run.update(started=_now(), load_start=[round(v, 2) for v in os.getloadavg()])


def _begin() -> None:
    if "started" not in _run:
        started()


def context(**facts: Any) -> None:
    """Facts about the run known only while it runs (the PostgreSQL version, say)."""
    _run.update(facts)


def write(command: str, results: Path = RESULTS) -> Path:
    """Merges this session's figures into results/figures.json (sections not run this time
    are kept as they were), then writes the charts and README.md from it."""
    results.mkdir(parents=True, exist_ok=True)
    stored = _load(results / "figures.json")
    ran = _sections_in_order([*_figures, *_charts])
    machine = _machine()
    run = {"started": _run.get("started", _now()), "date": _now(), "command": command, **machine}
    sections = stored.get("sections", {})
    for section in ran:
        sections[section] = run
    figures = _merged(stored.get("figures", []), _figures, ran)
    charts = _merged(stored.get("charts", []), _charts, ran)
    data = {"run": run, "sections": sections, "figures": figures, "charts": charts}
    _dump(results / "figures.json", data)
    for entry in charts:
        _draw(entry, results / _png(entry))
    _dump_text(results / "README.md", _markdown(data))
    return results / "README.md"


# --- recording -------------------------------------------------------------------------------


def _values(runs: float | list[float]) -> list[float]:
    values = [float(v) for v in runs] if isinstance(runs, list | tuple) else [float(runs)]
    if not values:
        raise ValueError("a figure needs at least one run")
    return values


def _replace(entries: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    key = (entry["section"], entry["name"])
    entries[:] = [e for e in entries if (e["section"], e["name"]) != key]
    entries.append(entry)


def _merged(
    previous: list[dict[str, Any]], now: list[dict[str, Any]], ran: list[str]
) -> list[dict[str, Any]]:
    """The sections that ran this time replace theirs wholesale; the others stay as stored."""
    return [e for e in previous if e["section"] not in ran] + now


def _sections_in_order(entries: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(e["section"] for e in sorted(entries, key=lambda e: e["at"])))


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _dump(path: Path, data: dict[str, Any]) -> None:
    _dump_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def _dump_text(path: Path, text: str) -> None:
    # Written aside then renamed: an interrupted session never leaves half a report.
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text)
    partial.replace(path)


# --- the machine -----------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gib": _ram_gib(),
        "load_start": _run.get("load_start"),
        "load_end": [round(v, 2) for v in os.getloadavg()],
        "postgresql": _run.get("postgresql", "unknown"),
        "python": platform.python_version(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


# --- the report ------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _png(entry: dict[str, Any]) -> str:
    return f"{_slug(entry['section'])}-{_slug(entry['name'])}.png"


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}".replace(",", " ")
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if value == int(value):
        return str(int(value))
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:#.3g}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def _load_text(load: list[float] | None) -> str:
    return " / ".join(f"{v:.2f}" for v in load) if load else "–"


def _markdown(data: dict[str, Any]) -> str:
    run = data["run"]
    lines = [
        "# Benchmark report",
        "",
        "Written by `make bench` (tests/benchmarks/report.py); each figure is the median of "
        "its runs, and its ratio is against the median of a baseline measured in the same run. "
        "A partial run (`-k`) updates the sections it ran and keeps the others.",
        "",
        f"- Last run: {run['date']}",
        f"- Command: `{run['command']}`",
        f"- Machine: {run['cores']} cores ({run['cpu']}), {run['ram_gib']} GiB RAM, "
        f"Python {run['python']}, PostgreSQL {run['postgresql']}",
        f"- Load average (1/5/15 min): {_load_text(run.get('load_start'))} at the start, "
        f"{_load_text(run.get('load_end'))} at the end",
        "",
    ]
    for section in data["sections"]:
        lines += _section(section, data)
    return "\n".join(lines).rstrip() + "\n"


def _section(section: str, data: dict[str, Any]) -> list[str]:
    run = data["sections"].get(section, {})
    lines = [f"## {section}", ""]
    if run:
        lines += [
            f"Measured {run['date']}, load average {_load_text(run.get('load_start'))} at the "
            f"start of its run, {_load_text(run.get('load_end'))} at the end.",
            "",
        ]
    figures = [e for e in data["figures"] if e["section"] == section]
    if figures:
        lines += [
            "| figure | median | unit | runs | baseline | baseline median | ratio | note |",
            "|---|---:|---|---:|---|---:|---:|---|",
        ]
        for entry in figures:
            base = entry["baseline"] or {}
            note = entry["note"]
            lines.append(
                f"| {_cell(entry['name'])} | {_number(entry['median'])} | {entry['unit']} "
                f"| {len(entry['runs'])} | {_cell(base.get('label', ''))} "
                f"| {_number(base.get('median'))} | {_ratio(entry['ratio'])} | {_cell(note)} |"
            )
        lines.append("")
    for entry in (e for e in data["charts"] if e["section"] == section):
        lines += [f"### {entry['name']}", "", f"![{entry['name']}]({_png(entry)})", ""]
        if entry["note"]:
            lines += [entry["note"], ""]
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _draw(entry: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = pyplot.subplots(figsize=(9, 4.5), dpi=100)
    xs_all: set[float] = set()
    for label, points in entry["series"].items():
        xs, ys = zip(*points, strict=True) if points else ((), ())
        xs_all.update(xs)
        axes.plot(xs, ys, marker="o", label=label)
    if entry["log_x"]:
        axes.set_xscale("log")
        # The measured sizes as plain numbers, not powers of ten.
        axes.set_xticks(sorted(xs_all))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}".replace(",", " ")))
        axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel(entry["x_label"])
    axes.set_ylabel(entry["y_label"])
    axes.set_title(f"{entry['section']}: {entry['name']}")
    axes.set_ylim(bottom=0)
    axes.grid(True, which="both", alpha=0.3)
    if len(entry["series"]) > 1:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path)
    pyplot.close(fig)
