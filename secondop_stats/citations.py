"""References from ``sources.csv``: a readable citation line, BibTeX and CSL-JSON.

The explorer exports the current selection's references with these, and the reports print a
numbered list with them, so both cite a source the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pandas as pd

_BIBTEX_TYPE = {
    "journal": "article",
    "article": "misc",
    "press": "article",
    "website": "misc",
    "regulation": "misc",
    "dataset": "misc",
    "company": "misc",
}
_CSL_TYPE = {
    "journal": "article-journal",
    "article": "webpage",
    "press": "article-newspaper",
    "website": "webpage",
    "regulation": "legislation",
    "dataset": "dataset",
    "company": "report",
}


def _get(row: pd.Series | dict, key: str) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    return str(value).strip()


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}" if doi else ""


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else ""


def reference_text(row: pd.Series | dict, *, with_url: bool = True) -> str:
    """One plain-text reference: authors (year). Title. Journal citation. DOI, PMID, URL
    (left out with ``with_url=False``, where a link beside the text carries it)."""
    parts = []
    authors, year = _get(row, "authors"), _get(row, "year")
    head = authors or _get(row, "publisher_or_journal")
    if head:
        parts.append(f"{head} ({year})." if year else f"{head}.")
    elif year:
        parts.append(f"({year}).")
    parts.append(_get(row, "title").rstrip(".") + ".")
    venue = ", ".join(
        x
        for x in (_get(row, "publisher_or_journal") if authors else "", _get(row, "citation"))
        if x
    )
    if venue:
        parts.append(venue.rstrip(".") + ".")
    ids = []
    if _get(row, "doi"):
        ids.append(f"doi:{_get(row, 'doi')}")
    if _get(row, "pmid"):
        ids.append(f"PMID {_get(row, 'pmid')}")
    if ids:
        parts.append("; ".join(ids) + ".")
    elif with_url and _get(row, "url"):
        parts.append(_get(row, "url"))
    if str(row.get("confirmed")) in ("False", "false"):
        parts.append("(Some details not verified.)")
    return " ".join(parts)


def reference_links(row: pd.Series | dict) -> dict[str, str]:
    """Links for a reference: DOI, PubMed and the page it was read at, where known."""
    links = {
        "doi": doi_url(_get(row, "doi")),
        "pubmed": pubmed_url(_get(row, "pmid")),
        "url": _get(row, "url"),
    }
    return {k: v for k, v in links.items() if v}


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def to_bibtex(sources: pd.DataFrame | Iterable[dict]) -> str:
    """BibTeX entries, one per source, keyed by source_id."""
    rows = sources.to_dict("records") if isinstance(sources, pd.DataFrame) else list(sources)
    entries = []
    for row in rows:
        kind = _get(row, "kind")
        fields = {
            "title": _get(row, "title"),
            "author": " and ".join(a.strip() for a in _get(row, "authors").split(",") if a.strip())
            if _get(row, "kind") == "journal"
            else _get(row, "authors"),
            "journal" if kind in ("journal", "press") else "publisher": _get(
                row, "publisher_or_journal"
            ),
            "year": _get(row, "year"),
            "note": _get(row, "citation"),
            "doi": _get(row, "doi"),
            "pmid": _get(row, "pmid"),
            "url": _get(row, "url"),
        }
        body = ",\n".join(f"  {k} = {{{_bibtex_escape(v)}}}" for k, v in fields.items() if v)
        entries.append(f"@{_BIBTEX_TYPE.get(kind, 'misc')}{{{_get(row, 'source_id')},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")


def to_csl_json(sources: pd.DataFrame | Iterable[dict]) -> str:
    """CSL-JSON (as read by Zotero, Pandoc and citeproc) for the given sources."""
    rows = sources.to_dict("records") if isinstance(sources, pd.DataFrame) else list(sources)
    items = []
    for row in rows:
        item: dict[str, object] = {
            "id": _get(row, "source_id"),
            "type": _CSL_TYPE.get(_get(row, "kind"), "document"),
            "title": _get(row, "title"),
        }
        authors = [a.strip() for a in _get(row, "authors").split(",") if a.strip()]
        if authors:
            item["author"] = [{"literal": a} for a in authors]
        if _get(row, "publisher_or_journal"):
            item["container-title"] = _get(row, "publisher_or_journal")
        if _get(row, "year"):
            item["issued"] = {"date-parts": [[int(float(_get(row, "year")))]]}
        for key, csl in (("doi", "DOI"), ("pmid", "PMID"), ("url", "URL"), ("citation", "note")):
            if _get(row, key):
                item[csl] = _get(row, key)
        items.append(item)
    return json.dumps(items, indent=2, ensure_ascii=False)
