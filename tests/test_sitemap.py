"""sitemap.xml, its split into an index past the limit, and robots.txt."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import generator.sitemap as sitemap
from generator.sitemap import robots_txt, sitemap_files

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
S = f"{{{NS}}}"
BASE = "https://example.org/"

# The structure of sitemaps.org's sitemap.xsd and siteindex.xsd, reduced to what Dateline writes.
SCHEMA = f"""<?xml version="1.0"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}" xmlns="{NS}"
  elementFormDefault="qualified">
  <xsd:simpleType name="loc"><xsd:restriction base="xsd:anyURI">
    <xsd:minLength value="12"/><xsd:maxLength value="2048"/><xsd:pattern value="https?://\\S+"/>
  </xsd:restriction></xsd:simpleType>
  <xsd:simpleType name="lastmod"><xsd:restriction base="xsd:date"/></xsd:simpleType>
  <xsd:complexType name="entry"><xsd:sequence>
    <xsd:element name="loc" type="loc"/>
    <xsd:element name="lastmod" type="lastmod" minOccurs="0"/>
  </xsd:sequence></xsd:complexType>
  <xsd:element name="urlset"><xsd:complexType><xsd:sequence>
    <xsd:element name="url" type="entry" maxOccurs="50000"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:element name="sitemapindex"><xsd:complexType><xsd:sequence>
    <xsd:element name="sitemap" type="entry" maxOccurs="50000"/>
  </xsd:sequence></xsd:complexType></xsd:element>
</xsd:schema>
"""


def parse(data: bytes) -> etree._Element:
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    schema = etree.XMLSchema(etree.fromstring(SCHEMA.encode()))
    schema.assertValid(root)
    return root


def entries(root: etree._Element) -> list[tuple[str, str | None]]:
    return [(item.findtext(f"{S}loc"), item.findtext(f"{S}lastmod")) for item in root]


def test_single_sitemap() -> None:
    files = sitemap_files(
        [
            ("countries/", None),
            ("", date(2020, 2, 18)),
            ("https://example.org/2020/02/x/", date(2020, 2, 18)),
        ],
        BASE,
    )
    assert list(files) == ["sitemap.xml"]
    assert files["sitemap.xml"].startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns=')
    root = parse(files["sitemap.xml"])
    assert root.tag == f"{S}urlset"
    assert entries(root) == [
        ("https://example.org/", "2020-02-18"),
        ("https://example.org/2020/02/x/", "2020-02-18"),
        ("https://example.org/countries/", None),
    ]


def test_split_into_an_index_past_the_limit() -> None:
    urls = [(f"p{n}/", date(2020, 1, n + 1) if n % 2 else None) for n in range(7)]
    files = sitemap_files(urls, BASE, limit=3)
    assert list(files) == [
        "sitemap.xml",
        "sitemaps/sitemap-1.xml",
        "sitemaps/sitemap-2.xml",
        "sitemaps/sitemap-3.xml",
    ]
    index = parse(files["sitemap.xml"])
    assert index.tag == f"{S}sitemapindex"
    assert entries(index) == [
        ("https://example.org/sitemaps/sitemap-1.xml", "2020-01-02"),
        ("https://example.org/sitemaps/sitemap-2.xml", "2020-01-06"),
        ("https://example.org/sitemaps/sitemap-3.xml", None),
    ]
    listed = []
    for name in list(files)[1:]:
        part = parse(files[name])
        assert part.tag == f"{S}urlset"
        assert 1 <= len(part) <= 3
        listed += entries(part)
    assert sorted(loc for loc, _ in listed) == sorted(f"https://example.org/p{n}/" for n in range(7))
    assert list(sitemap_files(urls[:3], BASE, limit=3)) == ["sitemap.xml"]  # exactly at the limit: one file


def test_duplicates_keep_the_latest_date_and_order_does_not_matter() -> None:
    urls = [
        ("a/", date(2020, 1, 1)),
        ("a/", None),
        ("b/", datetime(2021, 3, 4, 23, 59, tzinfo=UTC)),
        ("a/", date(2020, 5, 1)),
    ]
    files = sitemap_files(urls, BASE)
    assert files == sitemap_files(reversed(urls), BASE)
    assert entries(parse(files["sitemap.xml"])) == [
        ("https://example.org/a/", "2020-05-01"),
        ("https://example.org/b/", "2021-03-04"),
    ]


def test_urls_are_escaped_and_encoded() -> None:
    files = sitemap_files([("tags/économie/?a=1&b=<x>\"'", None), ("tags/%C3%A9/", None)], BASE)
    data = files["sitemap.xml"]
    assert b"&amp;" in data and b"<x>" not in data
    assert entries(parse(data)) == [
        ("https://example.org/tags/%C3%A9/", None),
        ("https://example.org/tags/%C3%A9conomie/?a=1&b=%3Cx%3E%22'", None),
    ]


@given(
    st.sampled_from(["https://example.org/", "https://example.org/archive/"]),
    st.text(alphabet="abz09/_.~-%?#é:;@&= ", max_size=30),
)
def test_plain_urls_skip_no_step_of_the_long_way(base: str, path: str) -> None:
    """A page URL of plain characters under the base is taken as it is: what joining, cleaning and
    encoding it would give (or the same error)."""
    long_way = sitemap._PLAIN_PATH
    try:
        sitemap._PLAIN_PATH = sitemap.re.compile("(?!)")  # matches nothing: always the long way
        try:
            expected: str | type[ValueError] = sitemap._absolute(base + path, base)
        except ValueError:
            expected = ValueError
    finally:
        sitemap._PLAIN_PATH = long_way
    try:
        found: str | type[ValueError] = sitemap._absolute(base + path, base)
    except ValueError:
        found = ValueError
    assert found == expected


def test_sub_path_base() -> None:
    files = sitemap_files([("x/", None)] * 2 + [("y/", None)], "https://example.org/archive", limit=1)
    assert entries(parse(files["sitemap.xml"]))[0][0] == "https://example.org/archive/sitemaps/sitemap-1.xml"
    assert entries(parse(files["sitemaps/sitemap-1.xml"])) == [("https://example.org/archive/x/", None)]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://elsewhere.org/x/", "/outside/", "data:,x"])
def test_foreign_or_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        sitemap_files([(url, None)], "https://example.org/archive/")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        sitemap_files([("x/", None)], BASE, limit=0)
    with pytest.raises(ValueError):
        sitemap_files([("x/", None)], "/relative/")


def test_robots_txt() -> None:
    assert robots_txt("https://example.org/sitemap.xml") == (
        b"User-agent: *\nDisallow:\n\nSitemap: https://example.org/sitemap.xml\n"
    )
    for bad in (
        "sitemap.xml",
        "https://example.org/s.xml\nDisallow: /",
        "javascript:x",
        "https://example.org/a b",
    ):
        with pytest.raises(ValueError):
            robots_txt(bad)


def _element_tree_document(root_tag: str, item_tag: str, rows: list[tuple[str, date | None]]) -> bytes:
    """The document as ElementTree makes it: what sitemap._document writes as text."""
    root = ET.Element(root_tag, {"xmlns": NS})
    for loc, day in rows:
        item = ET.SubElement(root, item_tag)
        ET.SubElement(item, "loc").text = loc
        if day is not None:
            ET.SubElement(item, "lastmod").text = day.isoformat()
    ET.indent(root, space="")
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"
    )


@pytest.mark.parametrize("count", [0, 1, 7])
def test_documents_are_written_as_element_tree_writes_them(count: int) -> None:
    rng = random.Random(count)
    rows = [
        (
            "https://example.org/" + "".join(rng.choice("ab&<>é%/?=") for _ in range(12)),
            rng.choice([None, date(2020, 1, 1 + n)]),
        )
        for n in range(count)
    ]
    for root_tag, item_tag in (("urlset", "url"), ("sitemapindex", "sitemap")):
        assert sitemap._document(root_tag, item_tag, rows) == _element_tree_document(root_tag, item_tag, rows)
