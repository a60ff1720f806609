"""The report folder works offline and its index is built from the run (issue 21, point 5).

A fixture of two small notebooks (an equation, a figure, recorded numbers) goes through the report runner;
the pages must load nothing from the network, MathJax must sit in the folder, and the index must link every
report, the docs and the metrics, with abstracts taken from the notebooks and numbers taken from the records.
The browser half of the check is tests/browser/test_offline_browser.py.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from nb import write  # noqa: E402

from recnb import site  # noqa: E402
from recnb.report import run_report  # noqa: E402

PARAMS = 'profile = "quick"\ndataset = "ml-100k"\nseed = 0\ndata_path = ""'
INTRO = ("# 01 · Good things\n\nThe opening paragraph says what $x_i$ is: the abstract comes from here.\n\n"
         "$$z = \\frac{x-\\mu}{\\sigma}$$\n\n**What you will learn**\n- not in the abstract")
REMOTE = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("offline")
    nbs = tmp / "nbs"
    nbs.mkdir()
    write(str(nbs / "01_good.ipynb"), [
        ("md", INTRO), ("params", PARAMS),
        ("code", "from recnb.report import record\nimport matplotlib.pyplot as plt\nplt.plot([1, 2], [3, 4])\n"
                 "plt.show()\nfor i in range(8):\n    record(f'good/m{i}', 0.125 * i + seed)"),
        ("md", "## 2. Section two\n\nInline $a_b$ and display $$\\sum_{j \\in N(i)} W h_j$$; see the\n"
               "[glossary](../docs/glossary.md#models) and the [course](../docs/course.md)."),
    ])
    write(str(nbs / "02_other.ipynb"), [
        ("md", "# 02 · Other\n\nSecond notebook."), ("params", PARAMS),
        ("code", "from recnb.report import record\nrecord('other/value', 2.5)"),
    ])
    rc = run_report("smoke", notebooks_dir=nbs, out_root=tmp / "reports", seed=1)
    return rc, tmp / "reports" / "smoke", nbs


def test_mathjax_is_served_from_the_report_folder(report):
    rc, out, _ = report
    assert rc == 0
    assert (out / "mathjax" / "MathJax.js").is_file()
    assert (out / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    page = (out / "01_good.html").read_text()
    assert '<script src="mathjax/MathJax.js?config=' in page
    assert "data:image/png;base64" in page  # the figure is embedded, not linked
    assert '<a href="glossary.html#models">glossary</a>' in page and '<a href="course.html">course</a>' in page


def test_no_page_refers_to_the_network(report):
    _, out, _ = report
    pages = sorted(out.glob("*.html"))
    assert {"01_good.html", "02_other.html", "index.html", "glossary.html", "course.html"} <= {p.name for p in pages}
    for p in pages:
        text = p.read_text()
        assert not REMOTE.findall(text), f"{p.name} loads {REMOTE.findall(text)[:3]}"
        for host in ("cdnjs", "unpkg", "jsdelivr", "require.js", "mermaid.esm"):
            assert host not in text, f"{p.name} mentions {host}"


def test_index_links_reports_docs_and_metrics_with_abstracts(report):
    _, out, _ = report
    index = (out / "index.html").read_text()
    hrefs = re.findall(r'href="([^"#]+)', index)
    for target in ("01_good.html", "02_other.html", "glossary.html", "course.html", "article-map.html",
                   "metrics.json", "manifest.json"):
        assert target in hrefs, target
    assert all((out / h).exists() for h in hrefs), [h for h in hrefs if not (out / h).exists()]
    assert "The opening paragraph says what $x_i$ is" in index and "\\frac{x-\\mu}{\\sigma}" in index
    assert "not in the abstract" not in index
    metrics = json.loads((out / "metrics.json").read_text())["01_good"]
    assert len(metrics) == 8
    for name, value in metrics.items():  # every number shown is the recorded one
        assert f"<td>{name}</td><td>{site.format_number(value)}</td>" in index
    assert "<code>good/m0</code> = 1," in index and "<code>good/m1</code> = 1.125" in index  # in the abstract
    assert '<a href="#numbers-01_good">2 more</a>' in index and 'id=numbers-01_good' in index


def test_a_partial_rerun_keeps_the_other_reports_in_the_index(report, tmp_path):
    _, out, nbs = report
    assert run_report("smoke", only=["2"], notebooks_dir=nbs, out_root=out.parent) == 0
    index = (out / "index.html").read_text()
    assert '<a href="01_good.html">' in index and "from an earlier run" in index
    assert '<a href="02_other.html">' in index


def test_docs_links_open_the_named_notebook_section(report, tmp_path):
    _, out, _ = report
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "one.md").write_text(
        "# One\n\nSee [01 · Section two](../notebooks/01_good.ipynb), [the other page](two.md),\n"
        "[a module](../recnb/site.py), [a missing notebook](../notebooks/07_absent.ipynb) and\n\n"
        "$$h_i^{(l+1)} = \\sigma \\left( \\sum_{j \\in N(i)} W_j^{(l)} h_j^{(l)} + b_i^{(l)} \\right)$$\n\n"
        "| 中文 | English |\n|---|---|\n| 冷启动 | cold start |\n", encoding="utf-8")
    (docs / "two.md").write_text("# Two\n\nback to [one](one.md)\n")
    written = site.write_docs(docs, out, "mathjax/MathJax.js")
    assert written == {"one.html": "One", "two.html": "Two"}
    page = (out / "one.html").read_text()
    anchor = site.heading_ids(out / "01_good.html")["Section two"]
    assert f'<a href="01_good.html#{anchor}">01 · Section two</a>' in page
    assert '<a href="two.html">the other page</a>' in page
    assert '<span class="unlinked" title="../recnb/site.py">a module</span>' in page
    assert "07_absent" not in re.findall(r'href="([^"]+)"', page)
    assert "W_j^{(l)} h_j^{(l)} + b_i^{(l)}" in page and "<em>" not in page  # TeX left intact for MathJax
    assert "<td>冷启动</td>" in page


def test_numbers_are_shown_whole_or_to_four_digits():
    assert site.format_number(100000.0) == "100000" and site.format_number(-3.0) == "-3"
    assert site.format_number(0.0712345) == "0.07123" and site.format_number(2.5e-7) == "2.5e-07"


def test_mathjax_is_copied_once(tmp_path, monkeypatch):
    url = site.install_mathjax(tmp_path)
    assert url == f"mathjax/MathJax.js?config={site.MATHJAX_CONFIG}"
    monkeypatch.setattr(site.shutil, "copytree", lambda *a, **k: pytest.fail("copied a second time"))
    assert site.install_mathjax(tmp_path) == url
    (tmp_path / "mathjax" / ".source").write_text("an older MathJax")
    with pytest.raises(pytest.fail.Exception):  # a different version is replaced
        site.install_mathjax(tmp_path)
