"""The trainer's long choice lists: some 170 services in their categories, three times on the trainer's home page.

Drawn with template loops, the options were most of that page's time (about 500 of them); this tag writes the
same markup, escaped, in well under a millisecond.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def service_options(families, selected: str = "", *, prefix: str = "", whole_categories: bool = False) -> SafeString:
    """<optgroup>s of <option>s, one group per category; `prefix` goes before each service key ("service:"), and
    with `whole_categories` each group starts with an option for the whole category ("category:<key>")."""
    groups = []
    for category, members in families:
        options = []
        if whole_categories:
            value = f"category:{category.key}"
            options.append(_option(value, f"Every {category.name.lower()} service", value == selected))
        options += [_option(prefix + s.key, s.name, prefix + s.key == selected) for s in members]
        groups.append(format_html('<optgroup label="{}">{}</optgroup>', category.name, mark_safe("".join(options))))
    return mark_safe("".join(groups))


def _option(value: str, label: str, selected: bool) -> str:
    return format_html('<option value="{}"{}>{}</option>', value, mark_safe(" selected") if selected else "", label)
