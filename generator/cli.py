"""The ``dateline`` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from generator import __version__
from generator.build import BuildOptions, BuildResult, build
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
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")
def build_command(
    site: Path, output: Path | None, offline: bool, drafts: bool, strict: bool, quiet: bool
) -> None:
    """Build the site into its output folder."""
    options = BuildOptions(
        output=output,
        links="offline" if offline else None,
        drafts=drafts,
        strict=strict,
        progress=not quiet and sys.stderr.isatty(),
    )
    result = _run(lambda: build(site, options))
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    if not quiet:
        click.echo(_summary(result))


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
    return (
        f"Built {result.articles} {articles}, {result.pages} pages in {result.seconds:.2f} s "
        f"({result.files_changed} files written, {result.files_unchanged} unchanged). "
        f"Open {shown / 'index.html'}"
    )


def main() -> None:
    cli(prog_name="dateline")
