"""References from ``sources.csv``: a readable citation line, BibTeX and CSL-JSON.

The explorer exports the current selection's references with these, and the reports print a
numbered list with them, so both cite a source the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

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


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))


def bibtex_escape(text: str) -> str:
    """``text`` safe inside a BibTeX field: every character LaTeX treats specially is written
    as itself, so no value can run a command or unbalance the entry's braces."""
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], text)


@dataclass(frozen=True)
class Name:
    """One author: a person's family and given names (and a suffix such as "3rd"), or an
    organisation (``literal``)."""

    family: str = ""
    given: str = ""
    literal: str = ""
    suffix: str = ""


#: A person as PubMed writes one (Vancouver style): family name, up to four initials, and an
#: optional suffix ("Cody HS 3rd", "Smith J Jr").
_VANCOUVER = re.compile(
    r"^(?P<family>\S.*?)\s+(?P<initials>[A-Z]{1,4})(?:\s+(?P<suffix>Jr|Sr|2nd|3rd|4th|II|III|IV))?$"
)


def parse_authors(text: str) -> tuple[list[Name], bool]:
    """Authors as written in ``sources.authors`` ("Kedar I, Mangoubi H, Epstein HM"), each as
    family and given names ("Kedar", "I."); a name that is not "Family Initials" is kept whole
    as an organisation. Returns the names and whether the list ended in "et al."."""
    names: list[Name] = []
    more = False
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part.rstrip(".").lower() == "et al":
            more = True
            continue
        match = _VANCOUVER.match(part)
        if match:
            given = " ".join(f"{c}." for c in match["initials"])
            names.append(Name(family=match["family"], given=given, suffix=match["suffix"] or ""))
        else:
            names.append(Name(literal=part))
    return names, more


def _bibtex_name(name: Name) -> str:
    if name.literal:
        return "{" + bibtex_escape(name.literal) + "}"  # braces: never split into parts
    if name.suffix:  # BibTeX's "Family, Suffix, Given"
        return f"{bibtex_escape(name.family)}, {name.suffix}, {bibtex_escape(name.given)}"
    return f"{bibtex_escape(name.family)}, {bibtex_escape(name.given)}"


def to_bibtex(sources: pd.DataFrame | Iterable[dict]) -> str:
    """BibTeX entries, one per source, keyed by source_id; authors as "Family, G." joined by
    "and", organisations braced, every value escaped."""
    rows = sources.to_dict("records") if isinstance(sources, pd.DataFrame) else list(sources)
    entries = []
    for row in rows:
        kind = _get(row, "kind")
        names, more = parse_authors(_get(row, "authors"))
        author = " and ".join([*map(_bibtex_name, names), *(["others"] if more else [])])
        fields = {
            "title": bibtex_escape(_get(row, "title")),
            "author": author,
            "journal" if kind in ("journal", "press") else "publisher": bibtex_escape(
                _get(row, "publisher_or_journal")
            ),
            "year": bibtex_escape(_get(row, "year")),
            "note": bibtex_escape(_get(row, "citation")),
            "doi": bibtex_escape(_get(row, "doi")),
            "pmid": bibtex_escape(_get(row, "pmid")),
            "url": bibtex_escape(_get(row, "url")),
        }
        key = re.sub(r"[^A-Za-z0-9_:.-]", "-", _get(row, "source_id"))
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v)
        entries.append(f"@{_BIBTEX_TYPE.get(kind, 'misc')}{{{key},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")


def _csl_name(name: Name) -> dict[str, str]:
    if name.literal:
        return {"literal": name.literal}
    out = {"family": name.family, "given": name.given}
    if name.suffix:
        out["suffix"] = name.suffix
    return out


def to_csl_json(sources: pd.DataFrame | Iterable[dict]) -> str:
    """CSL-JSON (as read by Zotero, Pandoc and citeproc) for the given sources, with authors
    as family and given names (organisations as ``literal``)."""
    rows = sources.to_dict("records") if isinstance(sources, pd.DataFrame) else list(sources)
    items = []
    for row in rows:
        item: dict[str, object] = {
            "id": _get(row, "source_id"),
            "type": _CSL_TYPE.get(_get(row, "kind"), "document"),
            "title": _get(row, "title"),
        }
        names, _more = parse_authors(_get(row, "authors"))
        if names:
            item["author"] = [_csl_name(n) for n in names]
        if _get(row, "publisher_or_journal"):
            item["container-title"] = _get(row, "publisher_or_journal")
        if _get(row, "year"):
            item["issued"] = {"date-parts": [[int(float(_get(row, "year")))]]}
        for key, csl in (("doi", "DOI"), ("pmid", "PMID"), ("url", "URL"), ("citation", "note")):
            if _get(row, key):
                item[csl] = _get(row, key)
        items.append(item)
    return json.dumps(items, indent=2, ensure_ascii=False)
