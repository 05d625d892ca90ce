"""The Lambda cost calculator: on-demand requests + duration, with the free tier, step by step.

Prices come from content/facts.yaml (lambda.pricing), the same data the pricing note cites.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.validators import MaxValueValidator

from studyapp.content import load_facts

MB_PER_GB = 1024
MAX_REQUESTS = 10**12


def _lambda_facts() -> dict:
    return load_facts()["lambda"]


class LambdaCostForm(forms.Form):
    requests = forms.IntegerField(
        label="Requests per month",
        min_value=0,
        max_value=MAX_REQUESTS,
        initial=3_000_000,
        help_text="Invocations in a month, e.g. 3000000.",
        error_messages={"invalid": "Enter the number of requests as a whole number, e.g. 3000000."},
    )
    duration_ms = forms.IntegerField(
        label="Average duration (ms)",
        min_value=1,
        initial=120,
        help_text="Billed duration of one invocation, in milliseconds (1 ms granularity).",
        error_messages={"invalid": "Enter the duration in whole milliseconds, e.g. 120."},
    )
    memory_mb = forms.IntegerField(
        label="Memory (MB)",
        initial=512,
        error_messages={"invalid": "Enter the memory in whole megabytes, e.g. 512."},
    )
    architecture = forms.ChoiceField(
        label="Architecture",
        choices=[("x86_64", "x86_64"), ("arm64", "arm64 (Graviton)")],
        initial="x86_64",
    )
    free_tier = forms.BooleanField(label="Apply the monthly free tier", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        facts = _lambda_facts()
        low, high = facts["memory_min_mb"], facts["memory_max_mb"]
        self.fields["memory_mb"].help_text = f"Between {low:,} and {high:,} MB."
        self.fields["memory_mb"].widget.attrs.update(min=low, max=high)
        timeout_ms = facts["timeout_max_seconds"] * 1000
        self.fields["duration_ms"].widget.attrs.update(max=timeout_ms)
        self.fields["duration_ms"].validators.append(
            MaxValueValidator(
                timeout_ms,
                f"A Lambda invocation runs at most {facts['timeout_max_minutes']} minutes ({timeout_ms:,} ms).",
            )
        )
        self.low_memory, self.high_memory = low, high

    def clean_memory_mb(self) -> int:
        value = self.cleaned_data["memory_mb"]
        if not self.low_memory <= value <= self.high_memory:
            raise forms.ValidationError(
                f"Lambda memory is between {self.low_memory:,} and {self.high_memory:,} MB; "
                f"{value:,} MB is not possible."
            )
        return value


@dataclass
class Step:
    label: str
    arithmetic: str
    result: str


@dataclass
class LambdaCost:
    request_cost: Decimal
    gb_seconds: Decimal
    billable_gb_seconds: Decimal
    compute_cost: Decimal
    total: Decimal
    free_tier_saving: Decimal
    steps: list[Step] = field(default_factory=list)


def _money(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def _num(value: Decimal | int, places: int = 2) -> str:
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):,}"


def _tiered_cost(gb_seconds: Decimal, tiers: dict) -> tuple[Decimal, list[str]]:
    cost, floor, parts = Decimal(0), Decimal(0), []
    for name in sorted(tiers):
        tier = tiers[name]
        price = Decimal(tier["price_per_gb_second"])
        ceiling = Decimal(tier["up_to_gb_seconds"]) if tier["up_to_gb_seconds"] is not None else None
        amount = gb_seconds - floor if ceiling is None else min(gb_seconds, ceiling) - floor
        if amount <= 0:
            break
        cost += amount * price
        parts.append(f"{_num(amount)} GB-s × ${price}")
        if ceiling is None:
            break
        floor = ceiling
    return cost, parts


def lambda_cost(requests: int, duration_ms: int, memory_mb: int, architecture: str, free_tier: bool) -> LambdaCost:
    pricing = _lambda_facts()["pricing"]
    per_million = Decimal(pricing["request_price_per_million"])
    free_requests = pricing["free_requests_per_month"] if free_tier else 0
    free_gb_s = Decimal(pricing["free_gb_seconds_per_month"] if free_tier else 0)

    billable_requests = max(0, requests - free_requests)
    request_cost = Decimal(billable_requests) * per_million / Decimal(1_000_000)
    memory_gb = Decimal(memory_mb) / MB_PER_GB
    seconds = Decimal(duration_ms) / 1000
    gb_seconds = Decimal(requests) * seconds * memory_gb
    billable_gb_s = max(Decimal(0), gb_seconds - free_gb_s)
    compute_cost, tier_parts = _tiered_cost(billable_gb_s, pricing["duration_tiers"][architecture])
    total = request_cost + compute_cost
    if free_tier:
        no_free, _ = _tiered_cost(gb_seconds, pricing["duration_tiers"][architecture])
        saving = (Decimal(requests) * per_million / Decimal(1_000_000) + no_free) - total
    else:
        saving = Decimal(0)

    steps = [
        Step(
            "Billable requests",
            f"{requests:,} requests − {free_requests:,} free" if free_tier else f"{requests:,} requests (no free tier)",
            f"{billable_requests:,}",
        ),
        Step("Request cost", f"{billable_requests:,} ÷ 1,000,000 × ${per_million}", _money(request_cost)),
        Step(
            "Compute (GB-seconds)",
            f"{requests:,} × {_num(seconds, 3)} s × {_num(memory_gb, 4)} GB ({memory_mb:,} MB ÷ {MB_PER_GB:,})",
            f"{_num(gb_seconds)} GB-s",
        ),
        Step(
            "Billable GB-seconds",
            f"{_num(gb_seconds)} − {_num(free_gb_s)} free" if free_tier else f"{_num(gb_seconds)} (no free tier)",
            f"{_num(billable_gb_s)} GB-s",
        ),
        Step(
            f"Compute cost ({architecture})",
            " + ".join(tier_parts) if tier_parts else "nothing beyond the free tier",
            _money(compute_cost),
        ),
        Step("Total per month", f"{_money(request_cost)} + {_money(compute_cost)}", _money(total)),
    ]
    return LambdaCost(
        request_cost=request_cost,
        gb_seconds=gb_seconds,
        billable_gb_seconds=billable_gb_s,
        compute_cost=compute_cost,
        total=total,
        free_tier_saving=saving,
        steps=steps,
    )
