"""The one Markdown pipeline: Markdown -> HTML -> nh3 with an explicit allowlist.

Every Markdown field in the app (notes, question stems, explanations, choice explanations, scenario
texts, instructor-authored content) goes through `render_markdown`, once, when the content is loaded
or saved; the stored HTML is what pages show. Python-Markdown passes raw HTML and `javascript:` links
through untouched and attr_list would let an author add `onclick`: nh3 is what makes the output safe.
"""

import html
import re
import threading
from dataclasses import dataclass, field

import markdown
import nh3
from django.utils.html import strip_tags

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol",
    "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
ALLOWED_CLASSES = {
    "div": {"admonition", "tip", "warning", "note", "important", "danger", "callout", "table-wrap"},
    "p": {"admonition-title"},
    "code": {"language-python", "language-json", "language-yaml", "language-bash", "language-text"},
}
# Wide tables and code blocks scroll, so keyboard users must be able to focus them (tabindex="0" and nothing else).
TAG_ATTRIBUTE_VALUES = {"div": {"tabindex": {"0"}}, "pre": {"tabindex": {"0"}}}
URL_SCHEMES = {"http", "https", "mailto"}
# Content that must disappear with its tag, not leave its text behind.
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}

_EXTENSIONS = ["extra", "admonition", "sane_lists", "toc"]
_EXTENSION_CONFIGS = {"toc": {"permalink": False, "toc_depth": "2-3"}}


_local = threading.local()
_FIELD_EXTENSIONS = ["extra", "admonition", "sane_lists"]  # fields have no table of contents
# One line of prose with nothing Markdown or HTML would act on but **bold** spans (a question's "**NOT**"): its
# HTML is the line in a paragraph, each span in <strong>. A span starts and ends with a character, not a space
# (`** a**` stays as written).
_CHAR = r"(?:[^\W_]|[,.;:?!'\"()/%$+=@-])"  # not "_": it is emphasis
_PLAIN = re.compile(rf"(?:{_CHAR}| |\*\*{_CHAR}(?:(?:{_CHAR}| )*{_CHAR})?\*\*)*")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")  # within a line that matches _PLAIN
_BLOCK_START = re.compile(r"[-+=]|\d+[.)]")  # a list item or a setext underline when at the start


def _markdown(document: bool = True) -> markdown.Markdown:
    """This thread's converter, reset: building one (loading its extensions) costs more than converting."""
    name = "document" if document else "field"
    md = getattr(_local, name, None)
    if md is None:
        if document:
            md = markdown.Markdown(extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS, output_format="html")
        else:
            md = markdown.Markdown(extensions=_FIELD_EXTENSIONS, output_format="html")
        setattr(_local, name, md)
    return md.reset()


def is_plain(source: str) -> bool:
    """True when `source` is one line of plain prose, bold spans allowed (the fast path of render_markdown)."""
    return (
        bool(source)
        and source == source.strip()
        and _PLAIN.fullmatch(source) is not None
        and "  " not in source
        and _BLOCK_START.match(source) is None
    )


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)  # [{"id", "name", "level", "children": [...]}]


def sanitize_html(html: str) -> str:
    """Clean HTML with the app's allowlist (also used for imported `[html]` questions)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=TAG_ATTRIBUTE_VALUES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _scrollable(html: str) -> str:
    """Tables in a wrapper that scrolls sideways, and code blocks, focusable so that a keyboard can scroll them."""
    html = html.replace("<table>", '<div class="table-wrap" tabindex="0"><table>').replace("</table>", "</table></div>")
    return html.replace("<pre>", '<pre tabindex="0">')


def render_markdown_document(source: str) -> Rendered:
    """Render Markdown with heading anchors and return the sanitized HTML and its table of contents."""
    md = _markdown()
    html = md.convert(source or "")
    html = _scrollable(html)
    toc = [_toc_entry(token) for token in getattr(md, "toc_tokens", [])]
    return Rendered(html=sanitize_html(html), toc=toc)


def render_markdown(source: str) -> str:
    """Render a Markdown field to sanitized HTML (plain one-line prose takes a shortcut with the same result)."""
    if is_plain(source):
        return "<p>" + _STRONG.sub(r"<strong>\1</strong>", source) + "</p>"
    html = _markdown(document=False).convert(source or "")
    html = _scrollable(html)
    return sanitize_html(html)


def _toc_entry(token: dict) -> dict:
    return {
        "id": token["id"],
        "name": html.unescape(strip_tags(token["name"])),
        "level": token["level"],
        "children": [_toc_entry(child) for child in token.get("children", [])],
    }
