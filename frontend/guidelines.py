"""Project guidelines: Markdown written by project admins, rendered to sanitized HTML for the page."""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

# Markdown may carry raw HTML; nh3 (ammonia) keeps a safe subset of tags and attributes, drops
# scripts, event handlers and javascript: URLs, and adds rel="noopener noreferrer" to links.
_EXTENSIONS = ["extra", "sane_lists"]
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre", "s", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}}


def render_guidelines(text: str) -> SafeString:
    """Markdown to HTML that is safe to place in a page as is."""
    if not text.strip():
        return mark_safe("")
    html = markdown.markdown(text, extensions=_EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 (sanitized by nh3 just above)
