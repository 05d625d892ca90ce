"""The trainer's long choice lists: some 170 services in their categories, three times on the trainer's home page.

Drawn with template loops, the options were most of that page's time (about 500 of them); this tag writes the
same markup, escaped, with Python's html.escape (what Django's escape() calls) and plain f-strings: with
format_html, which wraps each piece in a SafeString, each list took 1.2 ms, a third of the page.
"""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def service_options(families, selected: str = "", *, prefix: str = "", whole_categories: bool = False) -> SafeString:
    """<optgroup>s of <option>s, one group per category; `prefix` goes before each service key ("service:"), and
    with `whole_categories` each group starts with an option for the whole category ("category:<key>")."""
    parts = []
    for category, members in families:
        parts.append(f'<optgroup label="{escape(category.name)}">')
        if whole_categories:
            value = f"category:{category.key}"
            parts.append(_option(value, f"Every {category.name.lower()} service", value == selected))
        parts += [_option(prefix + s.key, s.name, prefix + s.key == selected) for s in members]
        parts.append("</optgroup>")
    return mark_safe("".join(parts))


def _option(value: str, label: str, selected: bool) -> str:
    return f'<option value="{escape(value)}"{" selected" if selected else ""}>{escape(label)}</option>'
