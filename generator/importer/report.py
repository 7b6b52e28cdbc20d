"""The import report: for each input, where it went, what was kept, what was dropped and why, and its tags."""

from __future__ import annotations

from pathlib import Path

from generator.importer.pipeline import Outcome

_VERB = {
    "new": "imported",
    "replaced": "replaced",
    "replace": "replaced",
    "renamed": "imported",
    "skip": "skipped",
    "skipped": "skipped",
    "failed": "failed",
}


def report(outcomes: list[Outcome], root: Path, *, dry_run: bool, detail: bool = True) -> str:
    lines: list[str] = []
    for out in outcomes:
        verb = _VERB.get(out.status, out.status)
        where = f" -> {_rel(out.path, root)}" if out.path and out.status != "failed" else ""
        draft = " (draft)" if out.draft and out.status not in ("failed", "skip") else ""
        head = f"{verb:<9}{out.name}{where}{draft}"
        lines.append(f"{head}: {out.message}" if out.message else head)
        if detail and out.status not in ("failed", "skip"):
            if out.kept:
                lines.append("  kept: " + "; ".join(out.kept))
            if out.dropped:
                lines.append(f"  dropped {len(out.dropped)} line{'s' if len(out.dropped) != 1 else ''}:")
                lines += [f"    {text}" for text in _dropped(out.dropped)]
            lines += [f"  {tag}" for tag in out.tags]
        lines += [f"  warning: {w}" for w in out.warnings]
    lines.append(summary(outcomes, dry_run=dry_run))
    return "\n".join(lines)


def summary(outcomes: list[Outcome], *, dry_run: bool) -> str:
    def count(*statuses: str) -> int:
        return sum(1 for o in outcomes if o.status in statuses)

    done = count("new", "renamed", "replace", "replaced")
    drafts = sum(1 for o in outcomes if o.draft and o.status in ("new", "renamed", "replace", "replaced"))
    text = f"{'Would import' if dry_run else 'Imported'} {done} ({drafts} as drafts), skipped {count('skip')}, failed {count('failed')}"
    return text + (" (dry run: nothing written)." if dry_run else ".")


def _dropped(dropped: list[tuple[int | None, str, str]]) -> list[str]:
    """Runs of lines dropped for the same reason are shown as one entry."""
    out: list[str] = []
    run: list[tuple[int | None, str, str]] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0], run[-1]
        if len(run) == 1:
            where = f"line {first[0]}: " if first[0] else ""
            out.append(f"{where}{_short(first[1])} ({first[2]})")
        else:
            out.append(
                f"lines {first[0]}-{last[0]}: {len(run)} lines from {_short(first[1], 40)} ({first[2]})"
            )
        run.clear()

    for item in dropped:
        if run and run[-1][2] != item[2]:
            flush()
        run.append(item)
    flush()
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
