"""The ``dateline`` command."""

from __future__ import annotations

import gc
import sys
from datetime import datetime
from pathlib import Path

import click

from generator import __version__
from generator.build import BuildOptions, BuildResult, build, clean
from generator.errors import DatelineError

# The preview server and the importer are imported by their commands only: `dateline build`,
# run after every edit, starts a tenth of a second sooner without them.

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
    # The process ends here: spare the interpreter's last full scan of a large build's objects
    # at exit (a second at 10,000 articles).
    gc.freeze()


@cli.command("clean")
@_SITE
def clean_command(site: Path) -> None:
    """Remove the output folder, its hidden twin and the build cache."""
    for path in _run(lambda: clean(site)):
        click.echo(f"removed {path}")


@cli.command("serve")
@_SITE
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but this computer's own (127.0.0.1, localhost) exposes the preview.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option("--offline", is_flag=True, help="Relative links naming index.html, as build --offline.")
@click.option("--drafts", is_flag=True, help="Include articles marked draft: true.")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build into this folder and keep it (default: a temporary folder, removed on exit).",
)
@click.option("--poll", is_flag=True, help="Watch files by polling instead of inotify (network drives).")
@click.option("--no-open", is_flag=True, help="Do not open the site in a web browser.")
def serve_command(
    site: Path,
    host: str,
    port: int,
    offline: bool,
    drafts: bool,
    output: Path | None,
    poll: bool,
    no_open: bool,
) -> None:
    """Serve the site for preview; rebuild it and reload the browser on every change."""
    import webbrowser

    from generator.serve import PreviewServer, ServeOptions, wait_for_interrupt

    options = ServeOptions(host=host, port=port, offline=offline, drafts=drafts, output=output, poll=poll)
    server = PreviewServer(site, options, report=lambda line: click.echo(line, err=True))
    click.echo("Building the site ...", err=True)
    try:
        server.start()
        click.echo(f"Serving {server.url} (Ctrl-C to stop)")
        if not no_open:
            webbrowser.open(server.url)
        wait_for_interrupt()
    except DatelineError as exc:
        click.echo(exc.show(), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    click.echo("Stopped.", err=True)


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
    line = (
        f"Built {result.articles} {articles}, {result.pages} pages in {result.seconds:.2f} s "
        f"({result.pages_rendered} pages rendered, {result.files_changed} files changed)."
    )
    if result.config.links == "offline":
        return f"{line} Open {shown / 'index.html'} in a browser."
    return (
        f"{line} Publish {shown}/ at {result.config.base_url} (or build with --offline to read it from disk)."
    )


def main() -> None:
    cli(prog_name="dateline")


# --- import and tag (generator/importer) ---------------------------------------------------------


@cli.command("import")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_SITE
@click.option(
    "--date",
    "published",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Publication date for inputs whose metadata has none (plain text).",
)
@click.option("--source", help="The outlet's name, written as source: (default: from the profile or page).")
@click.option("--profile", help="Clean with this outlet profile (default: recognised from the text).")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--force", is_flag=True, help="Replace existing articles (re-imports and same-slug articles).")
@click.option("-q", "--quiet", is_flag=True, help="Print one line per input, without details.")
def import_command(
    inputs: tuple[Path, ...],
    site: Path,
    published: datetime | None,
    source: str | None,
    profile: str | None,
    dry_run: bool,
    force: bool,
    quiet: bool,
) -> None:
    """Import scraped articles (plain text, HTML pages, RSS/Atom feeds, folders) into content/."""
    from generator.importer.pipeline import ImportOptions, run_import
    from generator.importer.report import report as import_report

    options = ImportOptions(
        date=published.date() if published else None,
        source=source,
        profile=profile,
        dry_run=dry_run,
        force=force,
    )
    settings, outcomes = _run(lambda: run_import(site, list(inputs), options))
    click.echo(import_report(outcomes, settings.config.root, dry_run=dry_run, detail=not quiet))
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)


@cli.command("tag")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_SITE
@click.option("--write", is_flag=True, help="Apply the changes (default: only show them).")
@click.option("--explain", is_flag=True, help="Show why each tag was chosen.")
@click.option(
    "--replace", is_flag=True, help="Replace existing countries and topics instead of adding to them."
)
def tag_command(paths: tuple[Path, ...], site: Path, write: bool, explain: bool, replace: bool) -> None:
    """Tag articles' countries and topics (a dry run unless --write)."""
    from generator.importer.retag import retag, tag_report

    results = _run(lambda: retag(site, list(paths), write=write, replace=replace))
    click.echo(tag_report(results, explain=explain, written=write))
    if any(r.error for r in results):
        sys.exit(1)
