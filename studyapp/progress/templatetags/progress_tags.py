"""The dashboard's filters, and the tags that draw its long runs of chart marks and table rows.

A year of study days is 365 heatmap squares, 53 weekly columns and their data tables: drawn with the template
language, that is some 2,500 variables per page and most of its 25 ms; these tags write the same markup in
well under a millisecond. What they write is numbers, dates and chart labels built from them (the text is
escaped all the same); the charts' frames, titles and captions stay in templates/progress/dashboard.html.
"""

import html
import re

from django import template
from django.utils.safestring import mark_safe

from studyapp.progress import charts

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.734 -> "73 %"; None (no data) -> "–"."""
    return charts.percent(value)


# The characters html.escape replaces: most of the page's text (topic names, dates, percentages) has none.
_SPECIAL = re.compile("[&<>\"']").search


def _text(value) -> str:
    """A number as it is, text escaped (Python's html.escape, as Django's escape does, without its lazy-string
    wrapper, which costs more than the escaping on a table of 400 cells), and only when it has something to
    escape: a search for those characters is a third of the replacements' time."""
    if type(value) is int or isinstance(value, int | float):  # most cells are counts: the cheapest test first
        return str(value)
    text = str(value)
    return html.escape(text) if _SPECIAL(text) else text


@register.simple_tag
def heatmap_squares(cells):
    """One square per study day (studyapp.progress.charts.HeatCell), its count in its tooltip."""
    return mark_safe(
        "".join(
            f'<rect class="day-{c.level}" x="{c.x}" y="{c.y}" width="11" height="11"><title>{c.label}</title></rect>'
            for c in cells
        )
    )


@register.simple_tag
def table_rows(rows):
    """The body of a chart's data table: (row header, cells) pairs."""
    return mark_safe(
        "".join(
            f'<tr><th scope="row">{_text(header)}</th>{"".join(f"<td>{_text(cell)}</td>" for cell in cells)}</tr>'
            for header, cells in rows
        )
    )


@register.simple_tag
def topic_rows(category, study_url: str):
    """The rows of one category in the "every topic" table: the topic (a link to its note), its questions, seen,
    recall and a link to study it. Some 140 rows in all: written here, not with template loops."""
    study = _text(study_url)
    return mark_safe(
        "".join(
            f'<tr><th scope="row"><a href="/notes/{_text(s.service.note_slug)}/">{_text(s.service.name)}</a></th>'
            f"<td>{s.questions}</td><td>{s.seen} ({percent(s.seen_share)})</td><td>{percent(s.recall)}</td>"
            f'<td><a href="{study}?service={_text(s.service.key)}" aria-label="Study {_text(s.service.name)}">study</a>'
            "</td></tr>"
            for s in category.topics
        )
    )


@register.simple_tag
def column_marks(chart, title_prefix: str = "", part: str = ""):
    """The bars of a column chart (studyapp.progress.charts.columns) with their tooltips, and the labels of
    every tick under the axis. A column without a value has no bar. `part`: "before-last" or "last" draws only
    those columns (a template caches the first)."""
    prefix = _text(title_prefix)
    columns = {"before-last": chart.columns[:-1], "last": chart.columns[-1:]}.get(part, chart.columns)
    marks = [
        f'<rect class="chart-bar" x="{c.x}" y="{c.y}" width="{chart.bar_width}" height="{c.height}">'
        f"<title>{prefix}{_text(c.label)}: {_text(c.text)}</title></rect>"
        for c in columns
        if c.value is not None
    ]
    under = chart.bottom + 16
    marks += [
        f'<text class="chart-label" x="{c.center}" y="{under}" text-anchor="middle">{_text(c.label)}</text>'
        for c in columns
        if c.tick
    ]
    return mark_safe("".join(marks))


@register.simple_tag
def bar_marks(chart):
    """The rows of a bar chart (studyapp.progress.charts.bars): a label, then each bar with its value; the
    second bar of a row is drawn in the second colour."""
    marks = []
    for row in chart.rows:
        label = _text(row.label)
        marks.append(
            f'<text class="chart-label" x="{chart.left - 8}" y="{row.label_y}" text-anchor="end">{label}</text>'
        )
        for n, b in enumerate(row.bars):
            marks.append(
                f'<rect class="{"chart-bar-2" if n else "chart-bar"}" x="{b.x}" y="{b.y}" width="{b.width}" '
                f'height="{b.height}"></rect>'
                f'<text class="chart-value" x="{b.text_x}" y="{b.text_y}">{_text(b.text)}</text>'
            )
    return mark_safe("".join(marks))
