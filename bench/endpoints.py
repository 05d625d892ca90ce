"""The endpoints `make bench` measures. Each later feature adds its hot endpoints here.

path may contain {placeholders} filled from the seed's output (see quizzes/management/commands/seed_bench.py).
auth: "learner" sends the seeded learner's session cookie.
min_ratio: the share of the trivial view's throughput the endpoint must reach; max_queries: SQL per request.
"""

TRIVIAL = {"name": "trivial HttpResponse('ok')", "path": "/_bench/ok"}

ENDPOINTS = [
    {"name": "home (anonymous)", "path": "/", "min_ratio": 0.40, "max_queries": 1},
    {"name": "home (learner)", "path": "/", "auth": "learner", "min_ratio": 0.40, "max_queries": 3},
    {"name": "healthz", "path": "/healthz", "min_ratio": 0.40, "max_queries": 1},
    {"name": "notes index", "path": "/notes/", "min_ratio": 0.50, "max_queries": 4},
    {"name": "note page", "path": "/notes/lambda/", "min_ratio": 0.50, "max_queries": 4},
    {"name": "note search", "path": "/notes/search?q=lambda+timeout", "min_ratio": 0.40, "max_queries": 4},
    {
        "name": "lambda cost calculator (htmx)",
        "path": "/notes/lambda-pricing/?requests=5000000&duration_ms=800&memory_mb=1536&architecture=x86_64",
        "headers": ["HX-Request: true", "HX-Target: calculator-result"],
        "min_ratio": 0.40,
        "max_queries": 4,
    },
    {"name": "note page (learner)", "path": "/notes/lambda/", "auth": "learner", "min_ratio": 0.40, "max_queries": 4},
]
