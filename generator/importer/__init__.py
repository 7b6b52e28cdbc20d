"""Importing scraped articles into a site's content/, and tagging their countries and topics.

    reading      inputs: files and folders in, decoded text of a known kind out (or a clear refusal)
    plaintext    the plain-text cleaner (with textrules, profiles and boilerplate)
    htmlpage     saved pages, through trafilatura; feeds: RSS and Atom entries, through feedparser
    countrytags  countries from the gazetteer (gazetteer, ambiguity); topictags: keyword rules
    pipeline     dateline import: one outcome per article; report prints them; writer writes them
    retag        dateline tag: edits only the tag lines of existing articles
    settings     site.toml's [import] and [tagging] tables, and the site's own config

Only generator.cli imports this package; it may import the build's lower stages, never the reverse.
"""
