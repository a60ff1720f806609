"""No result typed by hand: the prose of every notebook holds no result-like number.

Prose is a Markdown cell, a code comment, or a string literal of a code cell that reads as text (a Markdown, print
or title string; f-string fields are blanked, since they are computed). A result-like number is one a run
produces and a reader would take as this run's: a decimal (.08, 0.075), a percentage (10 %), a duration (87 s,
3-4 s, 24 minutes), a size (30,000; 55k; 30 thousand; 943 users; 84 films), a speed-up (3x) or a clock time
(12-15 UTC). Sentences that state such numbers are rendered from the run's values in code
(``display(Markdown(f"..."))``); numbers from papers and peer libraries come from ``recnb.reference``.

Not counted: LaTeX ($...$, $$...$$), code spans that hold code (`lr=1e-2`; a code span holding only a number is
checked), links, software versions, years (citations), notebook, section, table, figure and equation numbers, and
the phrases of :data:`ALLOWED` below, each with its reason. The detector is at least as strict as the project's
stop hook (prose_numbers.py: decimals with two or more digits, thousands, timings; it skips every code span).
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Phrases that look like results but are not, removed before detection. Every entry says why; keep it short.
ALLOWED: list[tuple[str, str]] = [
    (r"\b95 ?%(?=\s+(?:(?:bootstrap|Wilson|confidence|paired)\s+)*(?:CIs?|confidence|intervals?|bands?)\b)",
     "the confidence level of every interval in the study, a fixed convention, not a result"),
    (r"\bUTC ?[+-] ?\d{1,2}\b", "a time-zone offset (UTC+8), a fact about the data's locale, not a measurement"),
    (r"\bp ?< ?0\.05\b", "the significance level of every paired test (paired_verdict's alpha), a fixed convention"),
]

_NOUNS = (r"items?|users?|events?|ratings?|films?|movies?|artists?|interactions?|purchases?|views?|carts?|sessions?|"
          r"buyers?|edges?|friendships?|clicks?|plays?|records?|rows?|reviews?|products?|customers?|queries|epochs?|"
          r"parameters?|nodes?|categories|genres?")
RULES: dict[str, re.Pattern[str]] = {
    # .08, .0711, 0.075, 0.5, 12.34 (a single-digit fraction after 1-9, as in 2.5, only with a unit below)
    "decimal": re.compile(r"(?<![\w.])(?:\d*\.\d{2,}|0\.\d|\.\d)(?![\w.])"),
    "percentage": re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?:\s?[–-]\s?\d+(?:[.,]\d+)?)?\s?(?:%|per ?cent\b|percent\b)"),
    "duration": re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:\s?[–-]\s?\d+(?:\.\d+)?)?\s?"
                           r"(?:ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|days? of (?:CPU|GPU|compute))\b"),
    "thousands": re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w])"),
    "magnitude": re.compile(r"(?<![\w.-])\d+(?:\.\d+)?(?:\s?[–-]\s?\d+(?:\.\d+)?)?\s?(?:[kKM]\b|thousand|million|billion)"),
    "count": re.compile(rf"(?<![\w.,@=])\d{{2,}}(?:,\d{{3}})*\s(?:{_NOUNS})\b"),
    "speed-up": re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:x|×)(?=\s|$|[,.;:)])"),
    "clock": re.compile(r"(?<![\w.])\d{1,2}(?:\s?[–-]\s?\d{1,2})?\s?UTC\b"),
}

_REF = r"(?:0\d|[1-9]\d*)(?:\.[1-9]\d*)*(?![\d.]*\d)"  # 04, 3, 3.2.4; never 0.075 or .0711
_NOT_PROSE = [  # (pattern, replacement) applied in order before detection
    (re.compile(r"\$\$.*?\$\$", re.S), " "),                     # display math
    (re.compile(r"(?<!\\)\$[^$\n]+\$"), " "),                    # inline math
    (re.compile(r"\]\([^)]*\)"), "] "),                           # link targets
    (re.compile(r"https?://\S+"), " "),                          # bare URLs
    (re.compile(r"(?:==|>=|<=|\bv)\d+(?:\.\d+)+"), " "),          # software versions (recbole==1.2.1, v2.0)
    (re.compile(r"\b\d+\.\d+\.\d+(?:\.\d+)*\b"), " "),            # x.y.z section or version numbers
    # notebook, section, table ... numbers: 04, 03-06, 3.2.4, "2 and 3" (no leading-zero fraction: 0.075 stays)
    (re.compile(r"(?i)(?:\bnotebooks?|\bsections?|§|\btables?|\bfigures?|\bfig\.|\beqs?\.|\bequations?|\bcells?|"
                r"\bchapters?|\bappendix|\blistings?)\s*" + _REF + r"(?:\s*(?:[–-]|and|to|,)\s*" + _REF + r")*"), " "),
]


_FSTRING_MIDDLE = getattr(tokenize, "FSTRING_MIDDLE", None)  # Python 3.12+ splits f-strings into parts
_TICK_LABEL = re.compile(r"\d+ ?(?:ms|s|min|h|d|days?|weeks?)")  # a string that is only an axis tick label


def _string_text(token: str) -> str:
    """The text of a string literal: prefix and quotes dropped, f-string replacement fields blanked."""
    body = re.sub(r"^[rbfuRBFU]*(?:'{3}|\"{3}|'|\")", "", token)
    body = re.sub(r"(?:'{3}|\"{3}|'|\")$", "", body)
    return re.sub(r"\{[^{}]*\}", " ", body)


def prose_of(source: str, kind: str) -> str:
    """The prose a reader sees: a Markdown cell's text; or, of a code cell, its comments and the text of its string
    literals that read as prose (they contain a space: Markdown, print and title strings), one per line."""
    if kind == "markdown":
        return source
    parts = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                parts.append(tok.string.lstrip("#").strip())
            elif tok.type == tokenize.STRING or (_FSTRING_MIDDLE is not None and tok.type == _FSTRING_MIDDLE):
                text = (_string_text(tok.string) if tok.type == tokenize.STRING else tok.string).strip()
                if " " in text and not _TICK_LABEL.fullmatch(text):
                    parts.append(text)
    except (tokenize.TokenError, IndentationError, SyntaxError):  # IPython magics and the like: comments by line
        parts = [m.group(1).strip() for m in re.finditer(r"(?m)#(?![^\n]*[\"'])(.*)$", source)]
    return "\n".join(parts)


def _code_spans(text: str) -> str:
    """Drop code spans that hold code; keep the ones that hold only a number (`0.0711` is prose in disguise)."""
    return re.sub(r"`([^`\n]*)`", lambda m: m.group(1) if re.fullmatch(r"\s*[\d.,%\s]+\s*", m.group(1)) else " ", text)


def result_numbers(text: str) -> list[tuple[str, str]]:
    """(rule, matched text) for every result-like number in ``text`` outside the exclusions."""
    text = _code_spans(text)
    for pattern, repl in _NOT_PROSE:
        text = pattern.sub(repl, text)
    for pattern, _why in ALLOWED:
        text = re.sub(pattern, " ", text)
    found: list[tuple[int, int, str, str]] = []  # one hit per stretch of text: the first rule that matched it
    for rule, pattern in RULES.items():
        for m in pattern.finditer(text):
            if not any(m.start() < end and start < m.end() for start, end, _, _ in found):
                found.append((m.start(), m.end(), rule, m.group(0).strip()))
    return [(rule, match) for _, _, rule, match in sorted(found)]


# --- the detector itself -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "GRU4Rec reaches .0711 on the test users.", "NDCG@10 0.075 against 0.08", "far below 10 %", "38% of the targets",
    "took 87 s per seed", "3-4 s per epoch", "stopped at 24 minutes", "a catalogue of 30,000 items", "30–55 thousand items",
    "55k items", "on a dataset of 943 users", "(84 films)", "Ciao has 34 ratings of 0", "`0.0711`", "3x faster",
    "peak 12-15 UTC", "beta annealed to 0.2", "notebook 05 and .0711", "notebook 05, 0.075", "section 3.2 gives 12.5%",
    "Chen et al. measured 87 s in 2022", "Table 2: .0481",
])
def test_flags_result_like_numbers(text):
    assert result_numbers(text), text


@pytest.mark.parametrize("text", [
    r"$\alpha = 0.5$", r"$$x_{\text{minmax}} = 0.25 x$$", "Kang and McAuley (2018)", "Liang et al., WWW 2018",
    "notebook 04", "notebooks 03–06", "section 4.2 and section 3.2.4", "Table 2", "the 1–5 scale",
    "each number carries a 95% bootstrap confidence interval", "UTC+8", "`lr=1e-2`", "RecBole `recbole==1.2.1`",
    "the top 10 of every model", "NDCG@10 leads", "significant paired test (p < 0.05)", "MovieLens-100K and ML-100K",
    "a 95% Wilson\ninterval", "Mult-VAE (Liang et al. 2018) with 2 layers",
    "[the paper](https://arxiv.org/abs/2202.02519)",
])
def test_leaves_equations_citations_and_references_alone(text):
    assert result_numbers(text) == [], (text, result_numbers(text))


def test_reads_comments_and_prose_strings_not_code():
    src = ("lr = 0.003  # chosen on validation\nx = f'took {t:.0f} s, NDCG@10 {v:.4f}'  # 3-4 s per epoch\n"
           "label = 'took 87 s'\nticks = ['1 min', '1 h']\nkey = 'ml-100k/ease/ndcg@10'\n")
    prose = prose_of(src, "code").splitlines()
    assert prose == ["chosen on validation", "took   s, NDCG@10", "3-4 s per epoch", "took 87 s"], prose
    assert result_numbers("\n".join(prose)) == [("duration", "3-4 s"), ("duration", "87 s")]
    magic = "%matplotlib inline\nx = 1  # 24 minutes on two cores"
    assert result_numbers(prose_of(magic, "code")) == [("duration", "24 minutes")]


# --- the notebooks -------------------------------------------------------------------------------------------------

def _hits(path: Path) -> list[str]:
    out = []
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type not in ("markdown", "code"):
            continue
        for rule, found in result_numbers(prose_of(cell.source, cell.cell_type)):
            where = "Markdown" if cell.cell_type == "markdown" else "code comment or text string"
            out.append(f"cell {i} ({where}), {rule}: {found!r}")
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_prose_types_no_result(path):
    hits = _hits(path)
    assert not hits, (f"{path.name}: numbers typed by hand (render them from the run's values, or take them from "
                      "recnb.reference):\n" + "\n".join(hits))
