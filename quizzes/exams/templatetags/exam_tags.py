"""The custom exam form's long lists of checkboxes (some 30 categories and services).

Rendered box by box through Django's widget templates, they took more time than everything else on the exam
page; this tag writes the same markup (Django's ids, `checked` for the values the form holds), escaped.
"""

from django import template
from django.forms import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def check_boxes(field: BoundField) -> SafeString:
    """One <label class="check"> with its <input type="checkbox"> per choice of a multiple-choice field."""
    chosen = {str(value) for value in field.value() or []}
    boxes = [
        format_html(
            '<label class="check"><input type="checkbox" name="{}" value="{}" id="{}_{}"{}> {}</label>',
            field.html_name,
            value,
            field.auto_id,
            index,
            mark_safe(" checked") if str(value) in chosen else "",
            label,
        )
        for index, (value, label) in enumerate(field.field.choices)
    ]
    return mark_safe("".join(boxes))
