"""References from sources.csv: text, links, BibTeX and CSL-JSON."""

from __future__ import annotations

import json

from secondop_stats.citations import (
    parse_authors,
    reference_links,
    reference_text,
    to_bibtex,
    to_csl_json,
)

JOURNAL = {
    "source_id": "meyer2015",
    "kind": "journal",
    "authors": "Meyer AND, Singh H, Graber ML",
    "year": 2015,
    "title": "Evaluation of Outcomes From a National Patient-initiated Second-opinion Program",
    "publisher_or_journal": "Am J Med",
    "citation": "128(10):1138.e25-1138.e33",
    "doi": "10.1016/j.amjmed.2015.04.020",
    "pmid": "",
    "url": "https://www.amjmed.com/",
    "confirmed": False,
    "file": "",
}
ARTICLE = {
    "source_id": "seed-004",
    "kind": "article",
    "authors": "",
    "year": None,
    "title": "The Art of Getting a Second Medical Opinion",
    "publisher_or_journal": "AARP",
    "file": "004_0203eff753117edf.txt",
    "confirmed": True,
    "doi": "",
    "pmid": "",
    "url": "",
}


def test_reference_text_names_authors_year_journal_and_doi() -> None:
    text = reference_text(JOURNAL)
    assert text.startswith("Meyer AND, Singh H, Graber ML (2015). Evaluation of Outcomes")
    assert "Am J Med, 128(10):1138.e25-1138.e33." in text
    assert "doi:10.1016/j.amjmed.2015.04.020" in text and "not verified" in text


def test_article_reference_cites_title_and_publisher_not_its_file() -> None:
    text = reference_text(ARTICLE)
    assert text.startswith("AARP. The Art of Getting")
    assert "004_0203eff753117edf.txt" not in text and ".txt" not in text


def test_links() -> None:
    assert reference_links({**JOURNAL, "pmid": "28374457"}) == {
        "doi": "https://doi.org/10.1016/j.amjmed.2015.04.020",
        "pubmed": "https://pubmed.ncbi.nlm.nih.gov/28374457/",
        "url": "https://www.amjmed.com/",
    }


def test_bibtex_entries() -> None:
    bib = to_bibtex([JOURNAL, ARTICLE])
    assert bib.count("@") == 2
    assert "@article{meyer2015," in bib
    assert "author = {Meyer, A. N. D. and Singh, H. and Graber, M. L.}" in bib
    assert "doi = {10.1016/j.amjmed.2015.04.020}" in bib
    assert to_bibtex([{**ARTICLE, "title": "50% & more"}]).count(r"50\% \& more") == 1


def test_bibtex_values_cannot_run_latex_or_unbalance_an_entry() -> None:
    hostile = {
        **JOURNAL,
        "authors": r"\input /etc/hostname, Smith J",
        "title": "A lone } brace, a tilde ~ and a caret ^ and a backslash \\",
    }
    bib = to_bibtex([hostile])
    assert r"\input" not in bib.replace(r"\textbackslash{}input", "")
    assert r"\textbackslash{}input /etc/hostname" in bib
    assert r"\}" in bib and r"\textasciitilde{}" in bib and r"\textasciicircum{}" in bib
    body = bib.replace("\\{", "").replace("\\}", "")
    assert body.count("{") == body.count("}")  # every entry's braces balance


def test_authors_parse_into_family_and_given_names() -> None:
    names, more = parse_authors(
        "Kedar I, Mangoubi HM, American Cancer Society, Cody HS 3rd, et al."
    )
    assert [(n.family, n.given, n.literal) for n in names] == [
        ("Kedar", "I.", ""),
        ("Mangoubi", "H. M.", ""),
        ("", "", "American Cancer Society"),
        ("Cody", "H. S.", ""),
    ]
    assert names[-1].suffix == "3rd" and more
    bib = to_bibtex([{**JOURNAL, "authors": "Kedar I, American Cancer Society, et al."}])
    assert "author = {Kedar, I. and {American Cancer Society} and others}" in bib
    item = json.loads(to_csl_json([JOURNAL]))[0]
    assert item["author"][0] == {"family": "Meyer", "given": "A. N. D."}


def test_every_shipped_person_author_parses(evidence) -> None:
    """Journal authors are written "Family Initials", so that BibTeX and CSL-JSON read each
    name's family and given parts (never a surname "I")."""
    journals = evidence.sources[evidence.sources["kind"] == "journal"]
    for source_id, authors in zip(journals["source_id"], journals["authors"], strict=True):
        if not isinstance(authors, str) or not authors:
            continue
        names, _ = parse_authors(authors)
        literal = [n.literal for n in names if n.literal]
        assert not literal, f"{source_id}: not 'Family Initials': {literal}"


def test_csl_json_is_valid_json_with_ids() -> None:
    items = json.loads(to_csl_json([JOURNAL, ARTICLE]))
    assert [i["id"] for i in items] == ["meyer2015", "seed-004"]
    assert items[0]["type"] == "article-journal" and items[0]["DOI"].startswith("10.1016")
    assert items[0]["issued"] == {"date-parts": [[2015]]}
    assert "issued" not in items[1]


def test_exports_all_shipped_sources(evidence) -> None:
    bib = to_bibtex(evidence.sources)
    assert bib.count("\n@") + 1 == len(evidence.sources)
    assert len(json.loads(to_csl_json(evidence.sources))) == len(evidence.sources)


def test_a_web_page_is_named_once_where_a_link_carries_it() -> None:
    from secondop_stats.apps.provenance import citation

    page = {**ARTICLE, "url": "https://www.medicare.gov/coverage/second-surgical-opinions"}
    assert page["url"] in reference_text(page)  # plain text (reports) keeps the address
    shown = str(citation(page))
    assert shown.count(page["url"]) == 1 and ">Web page</a>" in shown
