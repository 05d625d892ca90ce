"""The endpoints `make bench` measures. Each later feature adds its hot endpoints here.

path may contain {placeholders} filled from the seed's output (see quizzes/management/commands/seed_bench.py).
auth: "learner" sends the seeded learner's session cookie.
min_ratio: the share of the trivial view's throughput the endpoint must reach; max_queries: SQL per request.
"""

TRIVIAL = {"name": "trivial HttpResponse('ok')", "path": "/_bench/ok"}

ENDPOINTS = [
    {"name": "home (anonymous)", "path": "/", "min_ratio": 0.40, "max_queries": 0},
    {"name": "home (learner)", "path": "/", "auth": "learner", "min_ratio": 0.40, "max_queries": 2},
    {"name": "healthz", "path": "/healthz", "min_ratio": 0.40, "max_queries": 1},
]
