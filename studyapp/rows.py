"""Loading one model row with hand-written SQL, for the hottest lookups.

Compiling an ORM query costs several times running it on small indexed lookups (see make bench), so
the few reads every hot request makes use `fetch_one`. Values go through the same converters the ORM
applies (aware datetimes, real booleans and parsed JSON on SQLite), so the instance is a normal one.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


@cache  # the converters of a column depend only on the field and the database backend
def _converters(field, alias: str) -> tuple:
    conn = connections[alias]
    expression = field.get_col(field.model._meta.db_table)
    return expression, tuple(conn.ops.get_db_converters(expression) + expression.get_db_converters(conn))


def convert(field, value, conn=None):
    """What the ORM would make of a raw column value."""
    if value is None:
        return None
    conn = conn or connections[DEFAULT_DB_ALIAS]  # the real connection: the proxy costs a lookup per access
    expression, converters = _converters(field, conn.alias)
    for converter in converters:
        value = converter(value, expression, conn)
    return value


def fetch_one(model: type[Model], where: str, params: list, *, lock: bool = False) -> Model | None:
    """`SELECT <all columns> FROM <table> WHERE <where>` as an instance, or None.

    `where` uses the table's column names and %s placeholders; `lock` adds FOR UPDATE where the
    database supports it (SQLite serializes writers with IMMEDIATE transactions instead).
    """
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    suffix = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {where} LIMIT 1{suffix}", params)
        row = cursor.fetchone()
    if row is None:
        return None
    return build(model, row)


def select_list(model: type[Model], alias: str, only: tuple[str, ...] | None = None) -> str:
    """The model's concrete columns (or the `only` fields'), prefixed with a table alias: for hand-written joins."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in _fields(model, only))


def build(model: type[Model], values, only: tuple[str, ...] | None = None) -> Model:
    """An instance from the slice of a joined row that `select_list(model, ..., only)` selected (with `only`,
    the other fields are deferred: reading one loads it, as with the ORM's `only()`)."""
    conn = connections[DEFAULT_DB_ALIAS]
    attnames, steps = _plan(model, only, conn.alias)
    if len(values) != len(attnames):
        raise ValueError(f"{model.__name__} has {len(attnames)} columns here, the row slice {len(values)}")
    values = list(values)
    for index, expression, converters in steps:
        value = values[index]
        if value is not None:
            for converter in converters:
                value = converter(value, expression, conn)
            values[index] = value
    return model.from_db(conn.alias, attnames, values)


@cache
def _plan(model: type[Model], only: tuple[str, ...] | None, alias: str) -> tuple[list[str], tuple]:
    """The attribute names of the selected fields and, for the columns that need one, their converters: a
    row's other values are used as they come (looking converters up per value cost 1 µs each)."""
    fields = _fields(model, only)
    steps = []
    for index, field in enumerate(fields):
        expression, converters = _converters(field, alias)
        if converters:
            steps.append((index, expression, converters))
    return [field.attname for field in fields], tuple(steps)


def width(model: type[Model], only: tuple[str, ...] | None = None) -> int:
    return len(_fields(model, only))


@cache
def _fields(model: type[Model], only: tuple[str, ...] | None) -> tuple:
    fields = model._meta.concrete_fields
    if only is None:
        return tuple(fields)
    return tuple(field for field in fields if field.primary_key or field.name in only)


def update_row(instance: Model, /, where: str = "", **values) -> bool:
    """`UPDATE <table> SET <field> = <value>, ... WHERE id = <instance.pk> [AND <where>]`, and the same on the
    instance when the row was updated. Returns whether it was (`where`, in column names, may rule it out).

    Values are prepared as the ORM would save them (JSON, aware datetimes); no signals are sent.
    """
    if not values:
        return True
    conn = connections[DEFAULT_DB_ALIAS]
    meta = instance._meta
    fields = [meta.get_field(name) for name in values]
    assignments = ", ".join(f"{conn.ops.quote_name(field.column)} = %s" for field in fields)
    params = [field.get_db_prep_save(values[field.name], conn) for field in fields]
    table, key = conn.ops.quote_name(meta.db_table), conn.ops.quote_name(meta.pk.column)
    condition = f" AND {where}" if where else ""
    with conn.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {assignments} WHERE {key} = %s{condition}", [*params, instance.pk])
        if cursor.rowcount != 1:
            return False
    for name, value in values.items():
        setattr(instance, name, value)
    return True
