"""The report folder as an offline site: every page opens from ``file://`` with no network.

nbconvert's HTML pages load MathJax and require.js from a CDN, so on a machine without internet (a classroom,
an exam room) equations stay raw LaTeX. Here :func:`install_mathjax` copies MathJax 2.7 once from the PyPI
package ``jupyter-server-mathjax`` into ``<report folder>/mathjax/``, which every page loads by a relative URL;
:func:`notebook_html` leaves out require.js, the Mermaid loader and the widget loader (the study's outputs are
text, tables and PNG figures, which need none of them, and each would fetch from a CDN); :func:`write_docs`
renders ``docs/*.md`` beside the reports and :func:`index_html` writes the entry page.

Figures are PNGs embedded in the pages. Their labels are English only (matplotlib's bundled DejaVu fonts
have no CJK glyphs and no kept Python package ships a CJK font); Chinese terms appear in the Markdown text,
which the reader's browser renders with the system's fonts.
"""

from __future__ import annotations

import html
import re
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

from .filelock import exclusive

MATHJAX_DIR = "mathjax"
# the combined configuration jupyter-server-mathjax ships (TeX input, HTML-CSS output, STIX-Web fonts)
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
NOTEBOOK_LINK = re.compile(r"^(?:\.\./)?notebooks/(\d\d_[\w-]+)\.ipynb$")

# jupyter-server-mathjax ships the STIX-Web fonts only: without this MathJax asks for its TeX fonts, which
# are absent (the same setting as Jupyter's own pages)
MATHJAX_FONTS = ('MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, '
                 'webFont: "STIX-Web", imageFont: null}});')
# The screen-reader copy of each equation (hidden MathML) would ask for MathJax's TeX web fonts, which are
# absent, for \mathbb and friends: it keeps the page's fonts instead.
MATHJAX_CSS = ".MJX_Assistive_MathML [mathvariant] {font-family: inherit !important}"
# nbconvert's lab template minus the three blocks that load scripts from a CDN, plus the font setting
_TEMPLATE_NAME = "recnb_offline.html.j2"
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
{{ super() }}
<script type="text/javascript">if (window.MathJax) { @FONTS@ }</script>
<style type="text/css">@CSS@</style>
{%- endblock html_head_js_mathjax -%}
""".replace("@FONTS@", MATHJAX_FONTS).replace("@CSS@", MATHJAX_CSS)

_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;
vertical-align:top}.fail{color:#b00020;font-weight:bold}.ok{color:#1b5e20}.earlier{color:#6d4c00}.skipped{color:#555;font-style:italic}
code{background:#f4f4f4}.nb{border-top:1px solid #ddd;padding:.4em 0}.nb h3{margin:.4em 0}
.numbers{font-size:.92em;color:#333}.unlinked{color:#555}nav a{margin-right:1em}
a.anchor-link{visibility:hidden;text-decoration:none;margin-left:.3em}:hover>a.anchor-link{visibility:visible}"""


def mathjax_source() -> Path:
    """The MathJax 2.7 tree shipped by ``jupyter-server-mathjax`` (a dependency of recnb)."""
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise ImportError("offline reports need MathJax from the package jupyter-server-mathjax: "
                          "pip install 'jupyter-server-mathjax>=0.2.6'") from err
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").is_file():
        raise FileNotFoundError(f"{static / 'MathJax.js'} is missing: reinstall jupyter-server-mathjax")
    return static


def install_mathjax(out_dir: Path) -> str:
    """Copy MathJax into ``out_dir/mathjax`` unless the same version is there; return the pages' script URL.

    The copy goes to a temporary folder first and is renamed into place, so an interrupted run never leaves
    half a MathJax behind.
    """
    dest = out_dir / MATHJAX_DIR
    stamp = f"jupyter-server-mathjax {metadata.version('jupyter-server-mathjax')}"
    with exclusive(dest):  # notebooks converted in parallel processes install it once
        if not ((dest / ".source").is_file() and (dest / ".source").read_text() == stamp):
            tmp = out_dir / f".{MATHJAX_DIR}.partial"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(mathjax_source(), tmp)
            (tmp / ".source").write_text(stamp)
            shutil.rmtree(dest, ignore_errors=True)
            tmp.rename(dest)
    return f"{MATHJAX_DIR}/MathJax.js?config={MATHJAX_CONFIG}"


def notebook_html(ipynb: Path, target: Path, mathjax_url: str) -> None:
    """Export the executed notebook ``ipynb`` to the self-contained page ``target`` (figures embedded).

    Links to ``../docs/NAME.md`` become ``NAME.html``, the page :func:`write_docs` renders beside it.
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = nbformat.read(ipynb, as_version=4)
    nb.metadata.pop("widgets", None)  # widget state would need the widget manager from a CDN
    exporter = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
                            template_file=_TEMPLATE_NAME, mathjax_url=mathjax_url, require_js_url="")
    body, _ = exporter.from_notebook_node(nb)
    # a notebook's link to ../docs/glossary.md opens the glossary page rendered beside the report
    body = re.sub(r'href="(?:\.\./)?docs/([\w-]+)\.md(#[^"]*)?"', lambda m: f'href="{m[1]}.html{m[2] or ""}"', body)
    target.write_text(body, encoding="utf-8")


def _markdown(text: str) -> str:
    """Markdown to HTML exactly as nbconvert renders notebook cells (GFM tables; LaTeX left for MathJax)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def page(title: str, body: str, mathjax_url: str) -> str:
    """A standalone HTML page with the site's style and the local MathJax (``$...$`` and ``$$...$$``)."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0"><style>{_CSS}
{MATHJAX_CSS}</style>
<script type="text/x-mathjax-config">
MathJax.Hub.Config({{tex2jax: {{inlineMath: [['$','$'], ['\\\\(','\\\\)']], displayMath: [['$$','$$'], ['\\\\[','\\\\]']],
  processEscapes: true}}, messageStyle: 'none'}});
{MATHJAX_FONTS}
</script>
<script src="{html.escape(mathjax_url)}"></script></head><body>
{body}
</body></html>"""


def heading_ids(report: Path) -> dict[str, str]:
    """``{heading text: anchor id}`` of the Markdown headings in a notebook report written by nbconvert.

    Heading text is taken without its section number ("2. Mult-VAE ..." -> "Mult-VAE ..."), the form the docs
    use to name a section, so renumbering a notebook does not break their references.
    """
    out = {}
    for anchor, inner in re.findall(r'<h[1-6] id="([^"]+)">(.*?)<a class="anchor-link"', report.read_text(),
                                    flags=re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
        out[section_title(text)] = anchor
    return out


def section_title(heading: str) -> str:
    """A heading without its leading number: ``"2. Mult-VAE and Mult-DAE"`` -> ``"Mult-VAE and Mult-DAE"``,
    ``"03 · Autoencoders"`` -> ``"Autoencoders"``."""
    return re.sub(r"^(?:\d\d\s*·\s*|\d+(?:\.\d+)*\.?\s+)", "", heading.strip().lstrip("#").strip())


def notebook_reference(text: str) -> tuple[str, str] | None:
    """``(notebook prefix, section title)`` from a docs link text ``"03 · Section title"``; ``None`` otherwise."""
    m = re.match(r"^(\d\d)\s*·\s*(.+)$", html.unescape(text).strip())
    return (m.group(1), m.group(2).strip()) if m else None


def _rewrite_links(body: str, out_dir: Path, docs: set[str], anchors: dict[str, dict[str, str]]) -> str:
    """Point the rendered docs' links at pages of the report folder.

    ``../notebooks/NN_x.ipynb`` -> ``NN_x.html#<section>`` (the section named by the link text
    ``"NN · title"``), ``other.md`` -> ``other.html``; links to files that have no page here (source modules,
    notebooks not in this report) become plain text so that no link is dead.
    """
    def fix(m: re.Match[str]) -> str:
        href, text = html.unescape(m.group(1)), m.group(2)
        if href.startswith(("#", "http://", "https://")):
            return m.group(0)
        path, _, frag = href.partition("#")
        nb = NOTEBOOK_LINK.match(path)
        if nb and (out_dir / f"{nb.group(1)}.html").exists():
            ref = notebook_reference(re.sub(r"<[^>]+>", "", text))
            anchor = anchors.get(nb.group(1), {}).get(ref[1]) if ref else None
            target = f"{nb.group(1)}.html" + (f"#{anchor}" if anchor else "")
            return f'<a href="{html.escape(target)}">{text}</a>'
        if not nb and Path(path).suffix == ".md" and Path(path).stem in docs and "/" not in path:
            return f'<a href="{html.escape(Path(path).stem)}.html{"#" + frag if frag else ""}">{text}</a>'
        return f'<span class="unlinked" title="{html.escape(href)}">{text}</span>'

    return re.sub(r'<a href="([^"]*)"[^>]*>(.*?)</a>', fix, body, flags=re.S)


def write_docs(docs_dir: Path, out_dir: Path, mathjax_url: str) -> dict[str, str]:
    """Render every ``docs_dir/*.md`` to ``out_dir/<name>.html``; return ``{file name: title}`` in name order."""
    sources = sorted(docs_dir.glob("*.md")) if docs_dir.is_dir() else []
    anchors = {p.stem: heading_ids(p) for p in out_dir.glob("[0-9][0-9]_*.html")}
    names = {p.stem for p in sources}
    written = {}
    for src in sources:
        text = src.read_text(encoding="utf-8")
        title = next((section_title(line) for line in text.splitlines() if line.startswith("# ")), src.stem)
        body = _rewrite_links(_markdown(text), out_dir, names, anchors)
        nav = '<nav><a href="index.html">&larr; index of the reports</a></nav>'
        (out_dir / f"{src.stem}.html").write_text(page(title, nav + body, mathjax_url), encoding="utf-8")
        written[f"{src.stem}.html"] = title
    return written


def abstract(ipynb: Path) -> tuple[str, str]:
    """``(title, abstract as HTML)`` of a notebook from its first Markdown cell.

    The title is the cell's first heading; the abstract its opening paragraphs, up to "What you will learn"
    (at most two blocks, plus the display equation that a block ending in a colon introduces).
    """
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    lines = first.strip().splitlines()
    title = section_title(lines[0]) if lines and lines[0].startswith("#") else ipynb.stem
    rest = "\n".join(lines[1:] if lines and lines[0].startswith("#") else lines)
    blocks = [b.strip() for b in re.split(r"\n\s*\n", rest) if b.strip()]
    keep: list[str] = []
    for b in blocks:
        if "what you will learn" in b.lower():
            break
        if len(keep) >= 2 and not (keep[-1].endswith(":") and b.startswith("$$")):
            break
        keep.append(b)
    return title, _markdown("\n\n".join(keep))


def format_number(value: float) -> str:
    """A recorded number as the index shows it: whole numbers in full, others to four significant digits."""
    return f"{int(value)}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:.4g}"


def _status(r: dict[str, Any]) -> str:
    e = html.escape
    if r.get("earlier"):
        return '<span class="earlier">from an earlier run into this folder (its page and numbers are kept)</span>'
    if r.get("status") == "skipped":
        return f'<span class="skipped">skipped: {e(str(r.get("reason")))}</span>'
    if r["ok"]:
        return '<span class="ok">ok</span>'
    err = r["error"] or {}
    where = (f'cell In [{err.get("cell")}] (cell {(err.get("cell_index") or 0) + 1} of the executed notebook)'
             if err.get("cell") is not None else "before any cell ran")
    return (f'<span class="fail">FAILED at {e(where)}: {e(str(err.get("ename")))}: '
            f'{e(str(err.get("evalue"))[:400])}</span>')


def index_html(profile: str, out_dir: Path, results: list[dict[str, Any]], manifest: dict[str, Any],
               metrics: dict[str, dict[str, float]], docs: dict[str, str], mathjax_url: str,
               problems: Sequence[str] = (), headline: int = 6) -> str:
    """The entry page of ``out_dir``: docs, per-notebook status, abstract and recorded numbers.

    ``results`` are this run's notebooks (``notebook``, ``ok``, ``error``, ``wall_s``, ``metrics`` in recording
    order, ``html``); reports already in the folder from an earlier run are listed too, with their numbers
    from ``metrics`` (the merged ``metrics.json``). The abstract shows the first ``headline`` numbers a
    notebook recorded and links to all of them. Every number comes from the run's records.
    """
    e = html.escape
    seen = {r["notebook"] for r in results}
    earlier = [{"notebook": p.stem, "earlier": True, "ok": None, "error": None, "wall_s": None,
                "html": f"{p.stem}.html" if (out_dir / f"{p.stem}.html").exists() else None,
                "metrics": metrics.get(p.stem, {})}
               for p in sorted(out_dir.glob("[0-9][0-9]_*.ipynb")) if p.stem not in seen]
    rows = sorted(results + earlier, key=lambda r: r["notebook"])
    cards, mrows = [], []
    for r in rows:
        stem = r["notebook"]
        ipynb = out_dir / f"{stem}.ipynb"
        title, summary = abstract(ipynb) if ipynb.exists() else (stem, "")
        link = f'<a href="{e(r["html"])}">{e(stem)}</a>' if r.get("html") else e(stem)
        values = list(r["metrics"].items())
        shown = ", ".join(f"<code>{e(k)}</code> = {format_number(v)}" for k, v in values[:headline])
        more = f' and <a href="#numbers-{e(stem)}">{len(values) - headline} more</a>' if len(values) > headline else ""
        numbers = (f'<p class="numbers">Recorded: {shown}{more}.</p>' if values
                   else '<p class="numbers">No numbers recorded.</p>')
        wall = f"; {r['wall_s']:.1f} s" if r.get("wall_s") is not None else ""
        cards.append(f'<div class="nb"><h3>{link}: {e(title)}</h3><p>{_status(r)}{wall}</p>{summary}{numbers}</div>')
        mrows += [f'<tr{" id=numbers-" + e(stem) if i == 0 else ""}><td>{e(stem)}</td><td>{e(k)}</td>'
                  f'<td>{format_number(v)}</td></tr>' for i, (k, v) in enumerate(values)]
    failed = sum(r.get("status", "failed" if r["ok"] is False else "ok") == "failed" for r in rows)
    skips = sum(r.get("status") == "skipped" for r in rows)
    verdict = (f'<p class="fail">{failed} notebook(s) failed.</p>' if failed
               else "<p class='ok'>All notebooks ran.</p>" if not skips else "")
    if skips:
        verdict += (f'<p class="skipped">{skips} notebook(s) skipped: this log does not hold what they need '
                    "(each says why below).</p>")
    verdict += "".join(f'<p class="fail">{e(p)}</p>' for p in problems)
    doc_links = " ".join(f'<a href="{e(f)}">{e(t)}</a>' for f, t in docs.items()) or "none found"
    body = f"""<h1>recnb reports, profile <code>{e(profile)}</code></h1>
<p>Generated {e(manifest['finished'])} from commit <code>{e(manifest['git']['commit'][:12] or 'unknown')}</code>
{'(with uncommitted changes)' if manifest['git']['dirty'] else ''}; this run took {manifest['wall_s']:.0f} s.
Every page here works offline (MathJax is served from <code>{MATHJAX_DIR}/</code>).</p>
<p>Data and provenance: <a href="metrics.json">metrics.json</a> (every recorded number),
<a href="manifest.json">manifest.json</a> (commit, versions, data SHA-256, parameters, wall time).</p>
<p>Teaching material: {doc_links}</p>{verdict}
<h2>Notebooks</h2>{''.join(cards)}
<h2>Recorded numbers</h2><table><tr><th>notebook</th><th>metric</th><th>value</th></tr>{''.join(mrows)}</table>"""
    return page(f"recnb reports: {profile}", body, mathjax_url)
