"""How the browser tests and benchmarks start Debian's Chromium (no pytest here: bench/ imports it).

Playwright adds --headless itself. The machine's network is closed, so background networking, sync
and component updates are switched off: their refused connections would only add noise.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
