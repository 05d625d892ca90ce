from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.734 -> "73 %"; None (no data) -> "–"."""
    if value is None or value == "":
        return "–"
    return f"{round(100 * float(value))} %"
