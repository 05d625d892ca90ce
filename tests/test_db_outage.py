"""While the database is unreachable, pages answer 503 "back in a moment", never a 500 or a traceback; the
same browser is served again once it answers. (bench/faults.py checks it against a real PostgreSQL restart.)"""

from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


@contextmanager
def database_down():
    """Every query fails as with a restarting server. Savepoint statements go through, so the test's own
    transaction stays usable afterwards (a real outage takes the whole connection with it)."""

    def refuse(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            return execute(sql, params, many, context)
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def assert_back_in_a_moment(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    text = response.content.decode()
    assert "The study database is not answering right now" in text
    assert "Traceback" not in text and "OperationalError" not in text


def test_a_learner_page_answers_503_while_the_database_is_down(client, learner):
    client.force_login(learner)
    with database_down():
        response = client.get("/study/")
    assert_back_in_a_moment(response)


def test_an_htmx_request_answers_503_too(client, learner):
    client.force_login(learner)
    with database_down():
        response = client.get("/study/", headers={"HX-Request": "true"})
    assert_back_in_a_moment(response)


def test_a_post_answers_503_too(client, learner):
    client.force_login(learner)
    with database_down():
        response = client.post("/study/undo/", {"log": "1"})
    assert_back_in_a_moment(response)


def test_the_same_client_is_served_again_once_the_database_answers(client, learner):
    client.force_login(learner)
    with database_down():
        assert client.get("/study/").status_code == 503
    response = client.get("/study/")
    assert response.status_code == 200
    assert learner.username in response.content.decode()


def test_the_failure_is_logged_with_its_traceback(client, learner, caplog):
    client.force_login(learner)
    with database_down():
        client.get("/study/")
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and logged[0].exc_info[0] is OperationalError
