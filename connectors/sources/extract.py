"""Turning fetched bytes into text: HTML main content (trafilatura), PDF (pypdf), feed entries."""

from __future__ import annotations

import io
import re

import lxml.html
import trafilatura
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from genius_loci.core.errors import SourceError

MIN_TEXT_CHARS = 40
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


def decode(content: bytes, declared: str | None) -> str:
    """Text of a page: the declared charset, else a ``<meta charset>``, else UTF-8, else Windows-1252."""
    candidates = [declared]
    match = _META_CHARSET.search(content[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii"))
    for charset in [*candidates, "utf-8"]:
        if not charset:
            continue
        try:
            return content.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return content.decode("cp1252", errors="replace")


def html_to_text(html: str, url: str) -> tuple[str, str]:
    """(title, main text as Markdown) of a page, without menus, footers and other boilerplate."""
    extracted = trafilatura.bare_extraction(html, url=url, include_formatting=True, include_links=False,
                                            include_tables=True, with_metadata=True)
    title, text = "", ""
    if isinstance(extracted, dict):
        title, text = extracted.get("title") or "", extracted.get("text") or ""
    elif extracted is not None:
        title, text = extracted.title or "", extracted.text or ""
    if len(text) < MIN_TEXT_CHARS:  # very short or malformed pages: fall back on all visible text
        try:
            tree = lxml.html.fromstring(html)
        except (ValueError, lxml.etree.ParserError) as exc:
            raise SourceError(f"{url}: not readable HTML ({exc})") from exc
        for bad in tree.xpath("//script|//style|//nav|//footer|//header"):
            bad.drop_tree()
        text = " ".join(tree.text_content().split())
        title = title or " ".join((tree.findtext(".//title") or "").split())
    if len(text) < MIN_TEXT_CHARS:
        raise SourceError(f"{url}: no readable text")
    return title.strip(), text.strip()


def fragment_to_text(html: str) -> str:
    """Plain text of a small HTML fragment (a feed item's summary)."""
    if "<" not in html:
        return html.strip()
    try:
        return " ".join(lxml.html.fromstring(html).text_content().split())
    except (ValueError, lxml.etree.ParserError):
        return re.sub(r"<[^>]+>", " ", html).strip()


def pdf_to_text(content: bytes, url: str) -> tuple[str, str]:
    try:
        reader = PdfReader(io.BytesIO(content))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PyPdfError, ValueError, KeyError) as exc:
        raise SourceError(f"{url}: unreadable PDF ({exc})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if len(text) < MIN_TEXT_CHARS:
        raise SourceError(f"{url}: the PDF holds no extractable text")
    title = str(meta_title).strip() or text.splitlines()[0][:120]
    return title, text
