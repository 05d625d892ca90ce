"""Geometry for the dashboard's server-rendered SVG charts (no JavaScript chart library).

Each function returns plain numbers the templates draw; every chart also gets a data table in its template.
The exam score trend reuses quizzes.exams.charts.trend (and its template).
"""

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH = 600

# ---------------------------------------------------------------- calendar heatmap


CELL, GAP, HEAT_LEFT, HEAT_TOP = 11, 2, 30, 18
STEP = CELL + GAP
# English names, as the page is written: strftime's would follow the server's locale (and cost 365 calls).
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass
class HeatCell:
    date: date
    count: int
    level: int  # 0 (none) to 4 (the busiest days)
    x: int
    y: int

    @property
    def label(self) -> str:
        day = self.date
        return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}: {self.count}"


def percent(value) -> str:
    """0.734 -> "73 %"; None (no data) -> "–"."""
    if value is None or value == "":
        return "–"
    return f"{round(100 * float(value))} %"


def day_text(day: date) -> str:
    """As the template filter date:"j M Y" writes it: 9 Mar 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass
class HeatWeek:
    start: date  # the Monday
    cells: list[HeatCell | None]  # Monday..Sunday; None outside the last 365 days


@dataclass
class Heatmap:
    cells: list[HeatCell]
    months: list[tuple[str, int]]  # (label, x) at the first column of each month
    weekdays: list[tuple[str, int]]  # (label, y) for Mon, Wed, Fri
    width: int
    height: int
    weeks: list[HeatWeek]

    @property
    def rows(self) -> list[tuple[str, list]]:
        """The data table: the Monday, then each day's count (empty outside the year)."""
        return [(day_text(week.start), ["" if c is None else c.count for c in week.cells]) for week in self.weeks]

    @property
    def cells_before_today(self) -> list[HeatCell]:
        return self.cells[:-1]

    @property
    def rows_before_this_week(self) -> list[tuple[str, list]]:
        return self.rows[:-1]


def busiest(days) -> int:
    return max((day.reviews for day in days), default=0)


def shade(reviews: int, most_before: int, today: bool = False) -> int:
    """A day's shade: by its share of the busiest day before today; today (the last day) by its share of the
    busier of that day and itself, so that a day busier than any before is the darkest and leaves the year's shades
    as they were (they do not move with each of today's answers)."""
    return level(reviews, max(most_before, reviews) if today else most_before)


def _place(first_monday: date, day: date) -> tuple[int, int, int]:
    """A day's column (weeks since the first Monday) and its square's x, y."""
    column = (day - first_monday).days // 7
    return column, HEAT_LEFT + column * STEP, HEAT_TOP + day.weekday() * STEP


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def today_square(first: date, today, most_before: int) -> list[HeatCell]:
    """The last day's square (`today`, after the days from `first` whose busiest had `most_before` reviews), placed
    and shaded as heatmap() does."""
    _, x, y = _place(_monday(first), today.date)
    return [HeatCell(today.date, today.reviews, shade(today.reviews, most_before, today=True), x, y)]


def heatmap_size(first: date, last: date) -> tuple[int, int]:
    """The width and height of the heatmap of the days from `first` to `last`, as heatmap() lays it out."""
    column, _, _ = _place(_monday(first), last)
    return HEAT_LEFT + (column + 1) * STEP, HEAT_TOP + 7 * STEP


def this_week(today, earlier: tuple[int, ...]) -> list[tuple[str, list]]:
    """The data table's last row, as Heatmap.rows has it: the week of `today` (empty after it), whose days before
    it had the `earlier` reviews."""
    counts = [*earlier, today.reviews]
    return [(day_text(_monday(today.date)), counts + [""] * (7 - len(counts)))]


def level(count: int, busiest: int) -> int:
    """Four shades by share of the busiest day: 1-25 % -> 1, ... 76-100 % -> 4."""
    if not count or not busiest:
        return 0
    return min(4, max(1, -(-4 * count // busiest)))


def heatmap(days) -> Heatmap:
    """Days (objects with .date and .reviews, oldest first) laid out in weekly columns, Monday on top."""
    first_monday = _monday(days[0].date)
    most_before = busiest(days[:-1])
    cells, months, weeks = [], [], []
    for day in days:
        column, x, y = _place(first_monday, day.date)
        row = day.date.weekday()
        cell = HeatCell(day.date, day.reviews, shade(day.reviews, most_before, today=day is days[-1]), x, y)
        cells.append(cell)
        if column == len(weeks):
            weeks.append(HeatWeek(first_monday + timedelta(weeks=column), [None] * 7))
        weeks[column].cells[row] = cell
        if day.date.day <= 7 and row == 0 or day is days[0]:
            if not months or months[-1][1] != cell.x:
                months.append((MONTHS[day.date.month - 1], cell.x))
    if len(months) > 1 and months[1][1] - months[0][1] < 3 * STEP:
        months.pop(0)  # a partial first month would overlap the next label
    return Heatmap(
        cells=cells,
        months=months,
        weekdays=[("Mon", HEAT_TOP + 9), ("Wed", HEAT_TOP + 2 * STEP + 9), ("Fri", HEAT_TOP + 4 * STEP + 9)],
        width=HEAT_LEFT + len(weeks) * STEP,
        height=HEAT_TOP + 7 * STEP,
        weeks=weeks,
    )


# ---------------------------------------------------------------- vertical columns (forecast, retention)

COL_LEFT, COL_TOP, COL_BOTTOM, COL_RIGHT = 44, 12, 170, 590


@dataclass
class Column:
    label: str
    value: float | None
    text: str
    x: float
    y: float
    height: float
    tick: bool  # label it under the axis
    center: float = 0.0


@dataclass
class ColumnChart:
    columns: list[Column]
    bar_width: float
    top: int
    bottom: int
    left: int
    right: int
    peak_text: str
    reference_y: float | None = None
    reference_text: str = ""


def columns(
    labels: list[str],
    values: list[float | None],
    *,
    peak: float,
    peak_text: str,
    value_text,
    every: int = 5,
    reference: float | None = None,
    reference_text: str = "",
) -> ColumnChart:
    """Columns scaled to `peak` (the value at the top of the axis); None draws nothing (no data)."""
    slot = (COL_RIGHT - COL_LEFT) / max(1, len(values))
    height = COL_BOTTOM - COL_TOP
    out = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar = 0.0 if value is None or not peak else round(height * min(value, peak) / peak, 1)
        out.append(
            Column(
                label=label,
                value=value,
                text=value_text(value) if value is not None else "no data",
                x=round(COL_LEFT + index * slot + slot * 0.15, 1),
                y=round(COL_BOTTOM - bar, 1),
                height=bar,
                tick=index % every == 0,
                center=round(COL_LEFT + index * slot + slot / 2, 1),
            )
        )
    reference_y = None if reference is None or not peak else round(COL_BOTTOM - height * reference / peak, 1)
    return ColumnChart(
        columns=out,
        bar_width=round(slot * 0.7, 1),
        top=COL_TOP,
        bottom=COL_BOTTOM,
        left=COL_LEFT,
        right=COL_RIGHT,
        peak_text=peak_text,
        reference_y=reference_y,
        reference_text=reference_text,
    )


def nice_peak(value: float) -> int:
    """A round number at or above `value` for the top of an axis (at least 5)."""
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if value <= step:
            return step
    return int(-(-value // 1000) * 1000)


# ---------------------------------------------------------------- horizontal bars (per service)

BAR_LEFT, BAR_RIGHT, ROW, BAR_TOP = 130, 530, 34, 8


@dataclass
class Bar:
    value: float | None
    text: str
    x: int
    y: float
    width: float
    height: float
    text_x: float
    text_y: float


@dataclass
class BarRow:
    label: str
    label_y: float
    bars: list[Bar]


@dataclass
class BarChart:
    rows: list[BarRow]
    height: int
    left: int
    right: int


def bars(rows: list[tuple[str, list[float | None]]], left: int = BAR_LEFT) -> BarChart:
    """Rows of one or two shares (0..1) drawn as bars from the same axis; None is "no data". `left` leaves room
    for longer labels."""
    per_row = max((len(values) for _, values in rows), default=1)
    bar_height = round((ROW - 8) / per_row, 1)
    out = []
    for index, (label, values) in enumerate(rows):
        top = BAR_TOP + index * ROW
        row_bars = []
        for n, value in enumerate(values):
            width = round((BAR_RIGHT - left) * (value or 0), 1)
            y = round(top + n * bar_height, 1)
            row_bars.append(
                Bar(
                    value=value,
                    text=f"{round(100 * value)} %" if value is not None else "no data",
                    x=left,
                    y=y,
                    width=width,
                    height=round(bar_height - 2, 1),
                    text_x=round(left + width + 6, 1),
                    text_y=round(y + bar_height - 4, 1),
                )
            )
        out.append(BarRow(label=label, label_y=round(top + (ROW - 8) / 2 + 5, 1), bars=row_bars))
    return BarChart(rows=out, height=BAR_TOP + len(rows) * ROW + 4, left=left, right=BAR_RIGHT)
