#!/usr/bin/env python
"""Which optimiser fits FSRS-6 (issue 19): the fsrs package's own (PyTorch) against fsrs-rs-python (Rust),
on the same synthetic history of 10,000 reviews (bench/seeding/fsrs_history.py), fitted on the older four
fifths and scored on the most recent fifth. Not part of `make bench`: PyTorch is not a dependency of the app,
so run it in a throwaway virtualenv (about 5.5 GB with PyTorch's CUDA wheels):

    python3.12 -m venv /tmp/fsrs-opt && /tmp/fsrs-opt/bin/pip install "fsrs[optimizer]==6.3.2" fsrs-rs-python==0.9.3
    /tmp/fsrs-opt/bin/python bench/fsrs_optimisers.py

Prints the time of each fit, the held-out log loss and RMSE (fsrs-rs's evaluate) of the defaults, the
parameters the history was generated with and each fit, and how far apart the two fits' predictions are.
"""

import importlib.util
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import fsrs_rs_python as rs
from fsrs import Rating, ReviewLog

# The history module alone: the bench.seeding package needs Django, which this virtualenv does not have.
_spec = importlib.util.spec_from_file_location(
    "fsrs_history", Path(__file__).resolve().parent / "seeding" / "fsrs_history.py"
)
fsrs_history = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fsrs_history)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def main() -> None:
    reviews = sorted(
        ((r.question + 1, r.at, r.rating) for rated in fsrs_history.history(10_000, NOW) for r in rated),
        key=lambda r: r[1],
    )
    cutoff = reviews[int(len(reviews) * 0.8)][1]
    by_card = defaultdict(list)
    for card, at, rating in reviews:
        by_card[card].append((at, rating))
    train, test, pairs = [], [], []  # pairs: (history before, days since the last review) of each held-out item
    for history in by_card.values():
        so_far, last = [], history[0][0]
        for at, rating in history:
            days = (at.date() - last.date()).days
            if days > 0 and at >= cutoff:
                pairs.append((list(so_far), days))
            so_far.append(rs.FSRSReview(rating, days))
            if days > 0:
                (train if at < cutoff else test).append((at, rs.FSRSItem(list(so_far))))
            last = at
    train = [item for _, item in sorted(train, key=lambda pair: pair[0])]
    test = [item for _, item in test]
    print(f"{len(reviews)} reviews, {len(train)} training items, {len(test)} held-out items")

    started = time.perf_counter()
    rust = rs.FSRS(list(rs.DEFAULT_PARAMETERS)).compute_parameters(train)
    print(f"fsrs-rs-python fit: {time.perf_counter() - started:.2f} s")

    from fsrs import Optimizer

    logs = [
        ReviewLog(card_id=card, rating=Rating(rating), review_datetime=at, review_duration=None)
        for card, at, rating in reviews
        if at < cutoff
    ]
    started = time.perf_counter()
    torch_fit = Optimizer(logs).compute_optimal_parameters()
    print(f"fsrs (PyTorch) fit: {time.perf_counter() - started:.2f} s")

    for name, parameters in [
        ("defaults", rs.DEFAULT_PARAMETERS),
        ("generating parameters", fsrs_history.TRUE_PARAMETERS),
        ("fsrs-rs-python", rust),
        ("fsrs (PyTorch)", torch_fit),
    ]:
        score = rs.FSRS(list(parameters)).evaluate(test)
        print(f"  {name:22} held-out log loss {score.log_loss:.4f}, RMSE {score.rmse_bins:.4f}")
    a, b = predictions(rust, pairs), predictions(torch_fit, pairs)
    gaps = [abs(x - y) for x, y in zip(a, b, strict=True)]
    print(f"predicted recall, fsrs-rs-python vs fsrs: mean |gap| {sum(gaps) / len(gaps):.4f}, max {max(gaps):.4f}")
    print("parameters (fsrs-rs-python / fsrs):")
    for n, (x, y) in enumerate(zip(rust, torch_fit, strict=True)):
        print(f"  w{n:<2} {x:8.4f} {y:8.4f}")


def predictions(parameters, pairs) -> list[float]:
    model = rs.FSRS(list(parameters))
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return [(1 + factor * days / model.memory_state(rs.FSRSItem(h)).stability) ** decay for h, days in pairs]


if __name__ == "__main__":
    main()
