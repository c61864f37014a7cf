"""Uplift of a campaign: conversion among those it was for minus conversion in the control group.

The difference of two proportions with a normal-approximation (Wald) interval:

    p₁ = converted_sent / n_sent,  p₀ = converted_control / n_control
    d  = p₁ − p₀
    se = √(p₁(1 − p₁)/n_sent + p₀(1 − p₀)/n_control)
    interval = d ± z·se   (z = 1.96 for 95 %)

The approximation is fair when each group has at least about ten conversions and ten
non-conversions; below that the interval is still shown but flagged ``approximate``
(ADR 0034). Counts are intent-to-treat: members drawn into the sent group count there
even when a cap or an opt-out kept the message back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Uplift:
    sent: int
    sent_converted: int
    control: int
    control_converted: int
    sent_rate: float | None
    control_rate: float | None
    difference: float | None
    low: float | None
    high: float | None
    approximate: bool

    @property
    def significant(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def uplift(*, sent: int, sent_converted: int, control: int, control_converted: int, z: float = Z_95) -> Uplift:
    if not 0 <= sent_converted <= sent or not 0 <= control_converted <= control:
        raise ValueError("conversions must be between 0 and the group size")
    p1 = sent_converted / sent if sent else None
    p0 = control_converted / control if control else None
    if p1 is None or p0 is None:
        return Uplift(sent, sent_converted, control, control_converted, p1, p0, None, None, None, True)
    difference = p1 - p0
    se = math.sqrt(p1 * (1 - p1) / sent + p0 * (1 - p0) / control)
    approximate = min(sent_converted, sent - sent_converted, control_converted, control - control_converted) < 10
    return Uplift(
        sent,
        sent_converted,
        control,
        control_converted,
        p1,
        p0,
        difference,
        difference - z * se,
        difference + z * se,
        approximate,
    )
