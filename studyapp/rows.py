"""Loading one model row with hand-written SQL, for the hottest lookups.

Compiling an ORM query costs several times running it on small indexed lookups (see make bench), so
the few reads every hot request makes use `fetch_one`. Values go through the same converters the ORM
applies (aware datetimes, real booleans and parsed JSON on SQLite), so the instance is a normal one.
"""

from django.db import connection
from django.db.models import Model


def convert(field, value, conn=connection):
    """What the ORM would make of a raw column value."""
    if value is None:
        return None
    expression = field.get_col(field.model._meta.db_table)
    for converter in conn.ops.get_db_converters(expression) + expression.get_db_converters(conn):
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
    values = [convert(field, value) for field, value in zip(fields, row, strict=True)]
    return model.from_db(connection.alias, [f.attname for f in fields], values)
