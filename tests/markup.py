"""What Streamlit's Markdown would turn into links, pictures or HTML, for tests on page text.

Streamlit renders st.markdown, captions, alerts and metric help as CommonMark plus GitHub's
extensions; markdown-it-py (a Streamlit dependency through rich) parses the CommonMark part and a
regular expression stands in for GitHub's autolinked bare URLs and www. addresses.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark")
# GitHub-flavoured Markdown autolinks these in plain text (not inside code spans).
_AUTOLINK = re.compile(r"(?i)\b(?:https?://|www\.)\S|\b[\w.+-]+@[\w-]+\.[\w.-]+")


def active_markup(markdown: str) -> list[str]:
    """The links, pictures, HTML and autolinked addresses the text would render, as strings."""
    found = []
    for block in _PARSER.parse(markdown):
        if block.type == "html_block":
            found.append(f"html: {block.content.strip()}")
        for token in block.children or []:
            if token.type == "link_open":
                found.append(f"link: {token.attrs.get('href')}")
            elif token.type == "image":
                found.append(f"image: {token.attrs.get('src')}")
            elif token.type == "html_inline":
                found.append(f"html: {token.content}")
            elif token.type == "text" and _AUTOLINK.search(token.content):
                found.append(f"autolink: {token.content}")
    return found
