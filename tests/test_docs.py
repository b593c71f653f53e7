"""The documentation holds together: every relative link and image in README.md and docs/
points at a file that exists (and, for `#anchor`, at a heading that makes that anchor on
GitHub), the README stays short, and no tracked file cites a README.<part>.md that is gone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 200
TEXT_SUFFIXES = (".py", ".md", ".txt", ".toml")

# [text](target "title") and ![alt](target); the text may hold one level of brackets, as in
# a linked image [![alt](img)](target)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML_TARGET = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)
HTML_ANCHOR = re.compile(r"<a\b[^>]*?\b(?:name|id)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
MENTION = re.compile(r"\bREADME\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.md\b")


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def outside_fences(text: str):
    """(line number, line) of the lines outside fenced code blocks."""
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            continue
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        yield n, line


def prose_lines(text: str):
    """(line number, line) outside fenced code blocks, with code spans blanked out, so that
    a link shown as an example in code is not taken for a link."""
    for n, line in outside_fences(text):
        yield n, CODE_SPAN.sub(lambda s: " " * len(s.group(0)), line)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text in lower case, everything but letters,
    digits, spaces, hyphens and underscores dropped, spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = CODE_SPAN.sub(lambda s: s.group(2), text)
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor the Markdown file's headings make, duplicates numbered as GitHub does."""
    seen: dict[str, int] = {}
    found = set()
    for _, line in outside_fences(path.read_text(encoding="utf-8")):
        found.update(HTML_ANCHOR.findall(line))
        h = HEADING.match(line)
        if h:
            base = slug(h.group(2))
            n = seen.get(base, 0)
            found.add(base if n == 0 else f"{base}-{n}")
            seen[base] = n + 1
    return found


def links(path: Path):
    """(line number, target) of every link and image in the file's prose."""
    for n, line in prose_lines(path.read_text(encoding="utf-8")):
        for pattern in (INLINE_LINK, REFERENCE_DEF, HTML_TARGET):
            for target in pattern.findall(line):
                yield n, target


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)) or target.startswith("//")


def broken_links(path: Path) -> list[str]:
    problems = []
    for n, target in links(path):
        if not target or is_external(target):
            continue
        file_part, _, anchor = target.partition("#")
        where = f"{path.relative_to(ROOT)}:{n}: {target}"
        dest = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{where}: no such file")
        elif anchor and dest.suffix == ".md" and unquote(anchor) not in anchors(dest):
            problems.append(f"{where}: no heading makes #{anchor}")
    return problems


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    broken = broken_links(path)
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_docs_folder_has_an_index_that_links_every_page():
    index = ROOT / "docs" / "README.md"
    assert index.exists()
    linked = {(index.parent / t.partition("#")[0]).resolve()
              for _, t in links(index) if not is_external(t)}
    pages = {p.resolve() for p in (ROOT / "docs").glob("*.md") if p != index}
    assert sorted(p.name for p in pages - linked) == []


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; docs/ takes the rest"


def test_the_checker_finds_broken_links_and_anchors(tmp_path, monkeypatch):
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    (tmp_path / "a.md").write_text(
        "# Speed: 98.83 % with `--augment`\n## Speed: 98.83 % with `--augment`\n"
        "```\n[in code](nowhere.md)\n```\n`[in a span](nowhere.md)`\n"
        "[ok](a.md#speed-9883--with---augment) [ok](#speed-9883--with---augment-1)\n"
        "![img](pic.png) [gone](gone.md) [bad anchor](a.md#nope) [web](https://x.org/y)\n",
        encoding="utf-8")
    (tmp_path / "pic.png").write_bytes(b"")
    assert [p.split(": ", 1)[1] for p in broken_links(tmp_path / "a.md")] == [
        "gone.md: no such file", "a.md#nope: no heading makes #nope"]


def tracked_text_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [f for f in out.decode().split("\0") if f.endswith(TEXT_SUFFIXES)]


def test_no_tracked_file_cites_a_readme_part_that_does_not_exist():
    """The guide once lived in several README.<part>.md files; they were folded into README.md
    and docs/. A mention of one that is not there sends the reader nowhere."""
    stale = []
    for name in tracked_text_files():
        path = ROOT / name
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                 .splitlines(), 1):
            for cited in MENTION.findall(line):
                if not ((ROOT / cited).exists() or (path.parent / cited).exists()):
                    stale.append(f"{name}:{n}: {cited}")
    assert not stale, "mentions of files that do not exist (point at docs/ instead):\n" + \
        "\n".join(stale)
