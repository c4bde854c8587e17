"""Render a study report in headless Chromium: every figure loads, nothing overflows.

Skipped when Chromium is absent (install it with `apt-get install chromium`); `make test`
installs nothing system-wide. The check script is injected into a copy of the report and
writes its findings into the DOM, which Chromium's --dump-dom prints after loading.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import sys

import pytest
import yaml

from conftest import ROOT, make_survey, study_dict

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")

CHECK = """
<script>
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
  const width = document.documentElement.clientWidth;
  const overflowing = Array.from(document.querySelectorAll('body *')).filter(el => {
    const r = el.getBoundingClientRect();
    // tables scroll inside their own box (overflow-x: auto), so their children may be wider
    if (el.closest('table')) return false;
    return r.right > width + 1;
  }).map(el => el.tagName + (el.alt ? ':' + el.alt : ''));
  const out = document.createElement('pre');
  out.id = 'attachstats-check';
  out.textContent = JSON.stringify({images: imgs.length, broken: broken, overflowing: overflowing,
                                    docWidth: document.documentElement.scrollWidth, viewport: width});
  document.body.appendChild(out);
});
</script>
"""


def check_report(report: Path, width: int = 1024) -> dict:
    html = report.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        res = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                              "--no-first-run", "--disable-background-networking", "--disable-component-update",
                              "--disable-sync", f"--user-data-dir={tmp}/profile", f"--window-size={width},900",
                              "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="attachstats-check">(.*?)</pre>', res.stdout, re.S)
    assert m, res.stderr[-2000:]
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="module")
def finished_report(tmp_path_factory) -> Path:
    """report.html of a small study run through the real workflow."""
    wd = tmp_path_factory.mktemp("browser")
    make_survey(150).to_csv(wd / "survey.csv", index=False)
    (wd / "mini.yaml").write_text(yaml.safe_dump(study_dict(), sort_keys=False))
    (wd / "config.yaml").write_text(yaml.safe_dump({"studies": [str(wd / "mini.yaml")]}))
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    res = subprocess.run([snakemake, "-s", str(ROOT / "Snakefile"), "--directory", str(wd), "--configfile",
                          str(wd / "config.yaml"), "--cores", "2", "results/mini/report.html"],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return wd / "results" / "mini" / "report.html"


@pytest.mark.parametrize("width", [1280, 800])
def test_report_renders_with_all_figures_and_no_overflow(finished_report, width):
    found = check_report(finished_report, width)
    assert found["images"] >= 5
    assert found["broken"] == []
    assert found["overflowing"] == []
    assert found["docWidth"] <= found["viewport"]
