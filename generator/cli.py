"""The ``dateline`` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from generator import __version__
from generator.build import BuildOptions, BuildResult, build, clean
from generator.errors import DatelineError

_SITE = click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The site folder (holding site.toml, content/ and templates/).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dateline")
def cli() -> None:
    """Dateline: build a static news archive organised by country, topic, tag and date."""


@cli.command("build")
@_SITE
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: site.toml's output).",
)
@click.option(
    "--offline", is_flag=True, help="Relative links naming index.html, for reading from disk (file://)."
)
@click.option("--drafts", is_flag=True, help="Include articles marked draft: true.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--no-cache", is_flag=True, help="Ignore the build cache and build everything anew.")
@click.option(
    "-j", "--jobs", type=click.IntRange(min=0), default=0, help="Worker processes (default: one per core)."
)
@click.option("--profile", is_flag=True, help="Print the time each stage took.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")
def build_command(
    site: Path,
    output: Path | None,
    offline: bool,
    drafts: bool,
    strict: bool,
    no_cache: bool,
    jobs: int,
    profile: bool,
    quiet: bool,
) -> None:
    """Build the site into its output folder."""
    options = BuildOptions(
        output=output,
        links="offline" if offline else None,
        drafts=drafts,
        strict=strict,
        progress=not quiet and sys.stderr.isatty(),
        cache=not no_cache,
        jobs=jobs,
    )
    result = _run(lambda: build(site, options))
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    if profile:
        for stage, seconds in result.timings:
            click.echo(f"{stage:>24}  {seconds:8.3f} s", err=True)
    if not quiet:
        click.echo(_summary(result))


@cli.command("clean")
@_SITE
def clean_command(site: Path) -> None:
    """Remove the output folder, its hidden twin and the build cache."""
    for path in _run(lambda: clean(site)):
        click.echo(f"removed {path}")


def _run(action):  # noqa: ANN001, ANN202 - a thin wrapper for any command's action
    """Show a user's mistake as text and an exit status, never as a traceback."""
    try:
        return action()
    except DatelineError as exc:
        click.echo(exc.show(), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted; the previous output is unchanged", err=True)
        sys.exit(130)


def _summary(result: BuildResult) -> str:
    out = result.config.output_dir
    try:
        shown = out.relative_to(Path.cwd())
    except ValueError:
        shown = out
    articles = "article" if result.articles == 1 else "articles"
    changed = result.files_written + result.files_linked
    line = (
        f"Built {result.articles} {articles}, {result.pages} pages in {result.seconds:.2f} s "
        f"({result.pages_rendered} pages rendered, {changed} files changed)."
    )
    if result.config.links == "offline":
        return f"{line} Open {shown / 'index.html'} in a browser."
    return (
        f"{line} Publish {shown}/ at {result.config.base_url} (or build with --offline to read it from disk)."
    )


def main() -> None:
    cli(prog_name="dateline")
