"""MkDocs hooks: docstrings written for Sphinx read cleanly on the site.

- Sphinx roles (``:meth:`advance```) become plain code;
- a reST literal-block marker (``started::``) loses its second colon;
- citations of the repository's internal semantics file ("SPEC section 4",
  "SPEC.md") become links to the documentation pages that carry those rules.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:py:)?(?:meth|func|class|attr|mod|exc|data|obj|const|ref):<code>~?")
_LITERAL = re.compile(r"::</p>")
_SECTION = re.compile(
    r"\s*(the\s+)?\(?SPEC(?:\.md)?,?\s+(?:sections?\s+)?(\d+)[\d.]*(?:(?:\s+and\s+|-)[\d.]+)?\)?"
    r"|\s*\(SPEC\.md\)|\s*SPEC\.md"  # "(SPEC section 4)", "SPEC 4-6", "(SPEC.md)"
)

# Where each section of the semantics is written out for users.
_PAGES = {
    "1": ("grammar.md", "the grammar"),
    "2": ("days.md", "which days fire"),
    "3": ("grammar.md", "the grammar"),
    "4": ("timezones.md", "time zones and DST"),
    "5": ("timezones.md", "time zones and DST"),
    "6": ("timezones.md", "time zones and DST"),
    "7": ("days.md", "which days fire"),
    "8": ("grammar.md", "the grammar"),
}


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    html = _ROLE.sub("<code>", html)
    html = _LITERAL.sub(":</p>", html)

    def link(match: re.Match[str]) -> str:
        path, title = _PAGES.get(match.group(2) or "1", _PAGES["1"])
        if match.group(1) and not title.startswith("the "):
            title = f"the {title}"  # "the SPEC section 8 day items": keep one "the"
        target = files.get_file_from_path(path)
        if target is None:
            return f" {title}"
        if target is page.file:
            return ""  # the rules are on this very page
        url = target.url_relative_to(page.file)
        if match.group(0).lstrip().startswith("(") and not match.group(1):
            return f' (see <a href="{url}">{title}</a>)'
        return f' <a href="{url}">{title}</a>'

    return _SECTION.sub(link, html)
