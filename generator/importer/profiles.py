"""Outlet profiles: an outlet's name, the banner lines it puts around articles, and its end markers.

One profile is built in (The Moscow Times); sites add their own in site.toml's ``[[import.outlets]]``
or in a separate TOML file of ``[[outlets]]`` tables (see :mod:`generator.importer.settings`). An
outlet without a profile is cleaned by the generic rules of :mod:`generator.importer.textrules`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutletProfile:
    """What is known about one outlet's pages."""

    name: str
    """Written as the article's ``source``; never counts as a country mention."""
    aliases: tuple[str, ...] = ()
    """Other spellings of the name ("Moscow Times"): also never count as countries."""
    banners: tuple[str, ...] = ()
    """Lines dropped wherever they stand (compared without case, a line may start with one)."""
    end_markers: tuple[str, ...] = ()
    """A line starting with one of these, after the article has begun, ends the article."""
    domains: tuple[str, ...] = ()
    """Web addresses of the outlet, to recognise its saved pages and feeds."""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def is_banner(self, line: str) -> bool:
        return _starts(line, self.banners)

    def is_end(self, line: str) -> bool:
        return _starts(line, self.end_markers)

    def recognises(self, lines: list[str]) -> bool:
        """Whether a plain-text dump carries this outlet's own banner or end-marker lines."""
        return any(self.is_banner(line) or self.is_end(line) for line in lines) and any(
            name.casefold() in line.casefold() for line in lines for name in self.names
        )


def _starts(line: str, phrases: tuple[str, ...]) -> bool:
    folded = line.strip().casefold()
    return any(folded.startswith(p.casefold()) for p in phrases if p)


MOSCOW_TIMES = OutletProfile(
    name="The Moscow Times",
    aliases=("Moscow Times",),
    banners=(
        "Support The Moscow Times!",
        "Subscribers agree to the Privacy Policy",
        "Our weekly newsletter contains",
        "Not ready to support today?",
        "Remind me later.",
    ),
    end_markers=(
        "Sign up for our free weekly newsletter",
        "A Message from The Moscow Times",
        "Dear readers,",
        "Read more",
    ),
    domains=("themoscowtimes.com",),
)

BUILT_IN = (MOSCOW_TIMES,)


def find_profile(name: str, profiles: tuple[OutletProfile, ...]) -> OutletProfile | None:
    """The profile called ``name`` (or one of its aliases), case and a leading "The" ignored."""

    def key(text: str) -> str:
        return text.casefold().strip().removeprefix("the ")

    return next((p for p in profiles if key(name) in {key(n) for n in p.names}), None)


def profile_for_url(url: str | None, profiles: tuple[OutletProfile, ...]) -> OutletProfile | None:
    if not url:
        return None
    return next((p for p in profiles if any(d and d in url for d in p.domains)), None)
