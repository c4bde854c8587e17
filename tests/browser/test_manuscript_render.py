"""The manuscript as a reader gets it: HTML in headless Chromium, report.docx through LibreOffice.

Built from the shipped studies' result tables (tests/fixtures/report) by the real writers,
then rendered: in Chromium no table may be wider than the text column; in the PDF that
LibreOffice makes of the Word file no word may run past the page's right margin; in both,
the text outside the appendix holds no machine name and no ``p = 0``, and every table and
figure is referred to in the text before it appears. Skipped cleanly where Chromium,
LibreOffice (``apt-get install libreoffice-writer-nogui``) or poppler (``pdftotext``) is absent.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_manuscript import load, machine_names, tiny_png  # noqa: E402

from attachstats.output.report.manuscript import build_manuscript  # noqa: E402
from attachstats.output.report.manuscript_docx import write_manuscript_docx  # noqa: E402
from attachstats.output.report.manuscript_html import manuscript_html  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
SOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")
STUDIES = ["example", "ecr-open"]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict:
    """study → (html path, docx path, tables, study)."""
    out = {}
    d = tmp_path_factory.mktemp("manuscripts")
    figs = {name: str(tiny_png(d / f"{name}.png")) for name in ("flow", "path_diagram", "scree", "interaction",
                                                                 "mediation")}
    for name in STUDIES:
        study, tables, prov = load(name)
        ms = build_manuscript(study, tables, figs, prov)
        h, w = d / f"{name}.html", d / f"{name}.docx"
        h.write_text(manuscript_html(ms, "draft"), encoding="utf-8")
        write_manuscript_docx(ms, w, "draft")
        out[name] = (h, w, tables, study)
    return out


def reader_checks(text: str, tables: dict, study: dict) -> None:
    """What a reader can check in the rendered text before the appendix."""
    main = re.sub(r"[ \t\u00a0]+", " ", text).split("Appendix: provenance")[0]
    found = sorted(n for n in machine_names(tables, study)
                   if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", main))
    assert not found, found
    assert not re.search(r"p = 0(?![.\d])|p = \.000", main)
    for kind in ("Table", "Figure"):
        numbers = sorted({int(n) for n in re.findall(rf"\b{kind} (\d+)\b", main)})
        assert numbers == list(range(1, len(numbers) + 1)), (kind, numbers)
        for n in numbers:
            first_ref = re.search(rf"\b{kind} {n}\b(?!\s*[.\n])", main)
            assert first_ref, f"{kind} {n} is never referred to in a sentence"


CHECK = """
<script>
window.addEventListener('load', () => {
  const main = document.querySelector('main').getBoundingClientRect();
  const wide = Array.from(document.querySelectorAll('table')).filter(t => t.getBoundingClientRect().right > main.right + 1)
    .map(t => t.closest('div.table').id);
  const text = Array.from(document.querySelectorAll('main > section:not(.appendix)')).map(s => s.innerText).join('\\n');
  const out = document.createElement('pre');
  out.id = 'attachstats-check';
  out.textContent = JSON.stringify({wide: wide, text: text, docWidth: document.documentElement.scrollWidth,
                                    viewport: document.documentElement.clientWidth});
  document.body.appendChild(out);
});
</script>
"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [1280, 800])
@pytest.mark.parametrize("name", STUDIES)
def test_html_manuscript_in_chromium(written, name, width):
    page, _, tables, study = written[name]
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "page.html"
        p.write_text(page.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"), encoding="utf-8")
        res = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync",
                              f"--user-data-dir={tmp}/profile", f"--window-size={width},900",
                              "--virtual-time-budget=10000", "--dump-dom", p.as_uri()],
                             capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="attachstats-check">(.*?)</pre>', res.stdout, re.S)
    assert m, res.stderr[-2000:]
    found = json.loads(html_lib.unescape(m.group(1)))
    assert found["wide"] == []
    assert found["docWidth"] <= found["viewport"]
    reader_checks(found["text"], tables, study)


def pdf_words(pdf: Path) -> tuple[list[tuple[float, float]], list[tuple[int, float, float, str]]]:
    """Page sizes and every word (page, xMin, xMax, text) of a PDF, from pdftotext -bbox."""
    res = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages, words = [], []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', res.stdout, re.S):
        pages.append((float(page.group(1)), float(page.group(2))))
        for w in re.finditer(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>',
                             page.group(3)):
            words.append((len(pages), float(w.group(1)), float(w.group(2)), html_lib.unescape(w.group(3))))
    return pages, words


@pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None,
                    reason="LibreOffice or poppler not installed (apt-get install libreoffice-writer-nogui poppler-utils)")
@pytest.mark.parametrize("name", STUDIES)
def test_word_manuscript_through_libreoffice(written, name, tmp_path):
    _, docx, tables, study = written[name]
    res = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                          "pdf", "--outdir", str(tmp_path), str(docx)], capture_output=True, text=True, timeout=300)
    pdf = tmp_path / (docx.stem + ".pdf")
    assert pdf.exists(), res.stderr[-2000:]
    pages, words = pdf_words(pdf)
    assert len(pages) >= 3
    # nothing runs past the right margin (1 inch = 72 pt; allow half of it)
    beyond = [(p, round(x1), t) for p, _, x1, t in words if x1 > pages[p - 1][0] - 36]
    assert not beyond, beyond[:10]
    lines = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    reader_checks(re.sub(r"[ \t\u00a0]+", " ", lines), tables, study)
