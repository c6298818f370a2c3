"""Download buttons make their file only when asked, and answer with its bytes."""

from __future__ import annotations

from secondop_stats.apps.file_download import DownloadFile, FileDownloads


def test_files_are_made_on_request_only() -> None:
    made: list[str] = []

    def csv() -> str:
        made.append("csv")
        return "\ufeffa,b\n1,é\n"

    downloads = FileDownloads([DownloadFile("csv", "Figures (CSV)", "f.csv", "text/csv", csv)])
    assert made == []
    assert downloads.files == [{"key": "csv", "label": "Figures (CSV)", "filename": "f.csv"}]
    assert downloads.content("csv") == "\ufeffa,b\n1,é\n".encode()
    assert made == ["csv"]


def test_a_click_is_answered_with_the_file(monkeypatch) -> None:
    png = b"\x89PNG\r\n"
    downloads = FileDownloads(
        [DownloadFile("png", "Chart (PNG)", "chart.png", "image/png", lambda: png)]
    )
    sent: list[tuple[dict, list]] = []
    monkeypatch.setattr(
        downloads, "send", lambda content, buffers=None: sent.append((content, buffers))
    )
    downloads._on_request(downloads, {"want": "png"}, [])
    downloads._on_request(downloads, {"want": "nothing-offered"}, [])
    downloads._on_request(downloads, "not a request", [])
    assert sent == [({"filename": "chart.png", "mime": "image/png"}, [png])]


def test_text_files_say_they_are_utf8(monkeypatch) -> None:
    downloads = FileDownloads([DownloadFile("bib", "BibTeX", "r.bib", "application/x-bibtex", str)])
    sent: list[dict] = []
    monkeypatch.setattr(downloads, "send", lambda content, buffers=None: sent.append(content))
    downloads._on_request(downloads, {"want": "bib"}, [])
    assert sent[0]["mime"] == "application/x-bibtex;charset=utf-8"


def test_offering_new_files_replaces_the_old() -> None:
    downloads = FileDownloads([DownloadFile("a", "A", "a.txt", "text/plain", lambda: "a")])
    downloads.offer([DownloadFile("b", "B", "b.txt", "text/plain", lambda: "b")])
    assert [f["key"] for f in downloads.files] == ["b"]
    assert downloads.content("b") == b"b"
