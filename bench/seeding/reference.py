"""Counting the queries of the reference POSTs (bench.views.signed_in_post), sent like the learners' POSTs."""

from bench.seeding import CSRF_SECRET


def _post(client, seed: dict, path: str):
    client.cookies["sessionid"] = seed["study_count_session"]
    client.cookies["csrftoken"] = CSRF_SECRET
    headers = {"HX-Request": "true", "X-CSRFToken": CSRF_SECRET}
    return lambda: client.post(path, {"token": "reference", "choice": "1"}, secure=True, headers=headers)


def count_signed_in_post_queries(client, seed: dict):
    return _post(client, seed, "/_bench/signed-in-post")


def count_signed_in_write_queries(client, seed: dict):
    return _post(client, seed, "/_bench/signed-in-write")
