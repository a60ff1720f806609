"""The teaching docs stay true to the article and to the notebooks (issue 21, points 2-4).

Notebook sections are named in the docs as ``[NN · Section heading](../notebooks/NN_name.ipynb)``; these
tests fail when a heading they name is renamed or removed, when the glossary cites a term the article does
not contain, when the section map misses a numbered section or an equation of the article, or when a
``recnb.…`` name in the docs no longer exists.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import pytest

from recnb.site import notebook_reference, section_title

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ARTICLE = ROOT.parent / "shared" / "seed" / "article.md"
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _article() -> str:
    if not ARTICLE.exists():
        pytest.skip(f"the source article is not beside the checkout ({ARTICLE})")
    return ARTICLE.read_text(encoding="utf-8")


def _headings() -> dict[str, set[str]]:
    out = {}
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(p, as_version=4)
        out[p.name] = {section_title(line) for c in nb.cells if c.cell_type == "markdown"
                       for line in c.source.splitlines() if line.startswith("#")}
    return out


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s:|-]+\|$", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def test_section_title_and_reference_parsing():
    assert section_title("## 2. Mult-VAE and Mult-DAE: autoencoders") == "Mult-VAE and Mult-DAE: autoencoders"
    assert section_title("# 03 · Autoencoders: latent user interests") == "Autoencoders: latent user interests"
    assert section_title("### Leakage checks") == "Leakage checks"
    assert notebook_reference("05 · How many layers? Over-smoothing") == ("05", "How many layers? Over-smoothing")
    assert notebook_reference("notebook 05") is None


@pytest.mark.parametrize("doc", ["glossary.md", "article-map.md", "course.md"])
def test_every_notebook_section_named_in_the_docs_exists(doc):
    headings = _headings()
    text = (DOCS / doc).read_text(encoding="utf-8")
    refs = [(t, h) for t, h in LINK.findall(text) if "notebooks/" in h]
    assert refs, f"{doc} names no notebook section"
    for label, href in refs:
        name = Path(href).name
        assert name in headings, f"{doc}: link to a notebook that does not exist: {href}"
        ref = notebook_reference(label)
        assert ref and name.startswith(ref[0]), f"{doc}: link text {label!r} is not 'NN · Section heading' of {name}"
        assert ref[1] in headings[name], f"{doc}: {name} has no section headed {ref[1]!r}"


@pytest.mark.parametrize("doc", ["glossary.md", "article-map.md", "course.md"])
def test_recnb_names_in_the_docs_exist(doc):
    names = set(re.findall(r"`(recnb(?:\.\w+)+)`", (DOCS / doc).read_text(encoding="utf-8")))
    for name in sorted(names):
        parts = name.split(".")
        for i in range(len(parts), 0, -1):  # the longest importable module, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ModuleNotFoundError:
                continue
            for attr in parts[i:]:
                assert hasattr(obj, attr), f"{doc}: {name} does not exist ({'.'.join(parts[:i])} has no {attr})"
                obj = getattr(obj, attr)
            break
        else:
            pytest.fail(f"{doc}: {name} is not a module of recnb")


def test_glossary_covers_forty_terms_of_the_article():
    article = _article()
    rows = [r for r in _table_rows((DOCS / "glossary.md").read_text(encoding="utf-8")) if r[0] != "中文"]
    assert len(rows) >= 40
    assert len({r[0] for r in rows}) == len(rows), "a term is listed twice"
    for zh, en, definition, where in rows:
        assert CJK.search(zh) and zh in article, f"{zh!r} is not a term of the article"
        assert en and not CJK.search(en) and len(definition.split()) >= 4, zh
        assert "notebooks/" in where or where.startswith("Not covered"), f"{zh}: where is it used?"
    for term in ("数据预处理", "协同过滤", "图神经网络", "冷启动", "用户画像", "异常检测"):  # named by issue 21
        assert term in {r[0] for r in rows}, term


def test_article_map_covers_every_numbered_section_and_equation():
    article = _article()
    text = (DOCS / "article-map.md").read_text(encoding="utf-8")
    mapped = {r[0] for r in _table_rows(text)}
    numbers = re.findall(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", article, flags=re.M)
    assert len(numbers) > 40
    assert [n for n in numbers if n not in mapped] == []
    equations = re.findall(r"\$\$(.+?)\$\$", article, flags=re.S)
    squash = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    assert len(equations) == 6
    for eq in equations:
        assert squash(eq) in squash(text), f"equation not in the map: {eq.strip()}"


def test_course_has_eight_sessions_each_fully_described():
    text = (DOCS / "course.md").read_text(encoding="utf-8")
    sessions = re.split(r"^## Session ", text, flags=re.M)[1:]
    assert len(sessions) == 8
    for s in sessions:
        for field in ("Notebook", "Runs live", "Exercises", "Hand in"):
            assert f"**{field}**" in s, f"session {s.splitlines()[0]}: no {field}"
        assert re.search(r"--profile (smoke|quick)", s), f"session {s.splitlines()[0]}: which profile runs live?"
    covered = set(re.findall(r"notebooks/(\d\d)_", text))
    assert covered >= {f"{i:02d}" for i in range(1, 9)}, "every notebook belongs to a session"
