"""The endpoints `make bench` measures with wrk: a regression guard, read against the trivial view and the floor
rows measured in the same run. Each later feature adds its hot endpoints here.

path may contain {placeholders} filled from the seed's output (bench/management/commands/seed_bench.py).
auth: "learner" (or "exam", "progress", "instructor") sends that seeded user's session cookie.
max_queries: SQL per request (8 for a learner's request; BEGIN, COMMIT and savepoints are not counted).
"reference": a row with no check of its own, printed to read the others against (the floor of a signed-in POST).
There are no throughput targets: what learners feel is measured by the journey (bench/journey.py) and the cold
pages (bench/cold_pages.py).
"""

TRIVIAL = {"name": "trivial HttpResponse('ok')", "path": "/_bench/ok"}

# What any learner POST costs before its own work, sent like them (one connection per thread, a learner each,
# CSRF cookie and header, htmx): session and user, CSRF check, form parsing, and for "1 row" one row written
# in a transaction (bench/views.py). The answer and rating POSTs are read against these.
_REFERENCE_POST = {
    "lua": "bench/signed_in_post.lua",
    "one_connection_per_thread": True,
    "env": {"BENCH_FILE": "{study_answers_file}", "BENCH_CSRF": "{csrf_secret}"},
    "reference": True,
}

ENDPOINTS = [
    # Its notes and its active questions counted per exam domain: two GROUP BY queries (the home page of the whole
    # exam shows both per domain).
    {"name": "home (anonymous)", "path": "/", "max_queries": 2},
    {"name": "home (learner)", "path": "/", "auth": "learner", "max_queries": 8},
    {"name": "healthz", "path": "/healthz", "max_queries": 1},
    {"name": "notes index", "path": "/notes/", "max_queries": 4},
    {"name": "note page", "path": "/notes/lambda/", "max_queries": 4},
    {"name": "note search", "path": "/notes/search?q=lambda+timeout", "max_queries": 4},
    {
        "name": "lambda cost calculator (htmx)",
        "path": "/notes/lambda-pricing/?requests=5000000&duration_ms=800&memory_mb=1536&architecture=x86_64",
        "headers": ["HX-Request: true", "HX-Target: calculator-result"],
        "max_queries": 4,
    },
    {"name": "note page (learner)", "path": "/notes/lambda/", "auth": "learner", "max_queries": 8},
    {"name": "study: next question", "path": "/study/", "auth": "learner", "max_queries": 8},
    {
        "name": "study: next question (htmx)",
        "path": "/study/",
        "auth": "learner",
        "headers": ["HX-Request: true"],
        "max_queries": 8,
    },
    {"name": "study: one service", "path": "/study/?service=lambda", "auth": "learner", "max_queries": 8},
    {"name": "exam: question page", "path": "/exam/{exam_attempt}/q/5/", "auth": "exam", "max_queries": 8},
    {
        "name": "exam: answer save (htmx POST)",
        "path": "/exam/{exam_attempt}/q/5/",
        "lua": "bench/exam_answer.lua",
        "one_connection_per_thread": True,
        "env": {
            "BENCH_SESSIONS": "{exam_sessions}",
            "BENCH_ATTEMPTS": "{exam_attempts}",
            "BENCH_SEQS": "{exam_seqs}",
            "BENCH_KEYS": "{exam_keys}",
            "BENCH_CSRF": "{csrf_secret}",
        },
        "count_with": "bench.seeding.exams.count_answer_queries",
        "max_queries": 8,
    },
    {"name": "trainer: round page", "path": "/trainer/rounds/{trainer_round}/", "auth": "learner", "max_queries": 8},
    {
        # Every request spends a fresh one-time token (half right, half wrong answers).
        "name": "trainer: answer (htmx POST)",
        "path": "/trainer/rounds/",
        "lua": "bench/study_post.lua",
        "one_connection_per_thread": True,
        "env": {
            "BENCH_FILE": "{trainer_answers_file}",
            "BENCH_PATH": "/trainer/rounds/ROUND/answer/",
            "BENCH_FIELD": "service",
            "BENCH_EXPECT": "200",
            "BENCH_CSRF": "{csrf_secret}",
        },
        "count_with": "bench.seeding.trainer.count_answer_queries",
        "max_queries": 8,
    },
    {
        "name": "trainer: confusions (5,000 answers)",
        "path": "/trainer/confusions/",
        "auth": "learner",
        "max_queries": 8,
    },
    {"name": "progress dashboard (20,000 reviews)", "path": "/progress/", "auth": "progress", "max_queries": 8},
    {
        # Issue 6: paginated, <= 10 queries, on a bank of 10,000 questions and 1,000,000 answers with
        # BENCH_FULL=1 (answers are folded into tallies by a command, not by the page, which reads the tallies).
        "name": "item statistics (bank)",
        "path": "/author/{stats_bank}/stats/?sort=-discrimination&page=3",
        "auth": "instructor",
        "max_queries": 10,
    },
    {
        # Every request spends a fresh one-time token (half right, half wrong answers to new questions);
        # the script counts replays if a thread ever runs out (bench.seeding.study.seed_posts).
        "name": "study: answer (htmx POST)",
        "path": "/study/answer/",
        "lua": "bench/study_post.lua",
        "one_connection_per_thread": True,
        "env": {
            "BENCH_FILE": "{study_answers_file}",
            "BENCH_PATH": "/study/answer/",
            "BENCH_FIELD": "choice",
            "BENCH_EXPECT": "200",
            "BENCH_CSRF": "{csrf_secret}",
        },
        "count_with": "bench.seeding.study.count_answer_queries",
        "max_queries": 8,
    },
    {
        "name": "study: rate Good (htmx POST)",
        "path": "/study/rate/",
        "lua": "bench/study_post.lua",
        "one_connection_per_thread": True,
        "env": {
            "BENCH_FILE": "{study_rates_file}",
            "BENCH_PATH": "/study/rate/",
            "BENCH_FIELD": "rating",
            "BENCH_EXPECT": "303",
            "BENCH_CSRF": "{csrf_secret}",
        },
        "count_with": "bench.seeding.study.count_rate_queries",
        "max_queries": 8,
    },
    {
        **_REFERENCE_POST,
        "name": "floor: signed-in POST, no work",
        "path": "/_bench/signed-in-post",
        "count_with": "bench.seeding.reference.count_signed_in_post_queries",
    },
    {
        **_REFERENCE_POST,
        "name": "floor: signed-in POST, 1 row",
        "path": "/_bench/signed-in-write",
        "count_with": "bench.seeding.reference.count_signed_in_write_queries",
    },
]
