"""Which active agents work near a place: for a person who asks by SMS how to register (``DAFTAR``)."""

from __future__ import annotations

from django.db.models import Q

from rangkul.agents.models import Agent, AgentStatus


def agents_near(*, village_code: str = "", district_code: str = "", limit: int = 1) -> list[Agent]:
    """Active agents whose working area holds the village, else its district, else its regency.

    Nearest first in that sense (no coordinates are kept): the village named in the working
    area, then the district (named itself or through one of its villages), then the regency.
    Among equals, the agent active most recently comes first.
    """
    district = district_code or village_code[:8]
    if not district:
        return []
    active = Agent.objects.filter(status=AgentStatus.ACTIVE).select_related("user", "branch")
    tiers = []
    if village_code:
        tiers.append(Q(villages__code=village_code))
    tiers.append(Q(districts__code=district) | Q(villages__code__startswith=f"{district}."))
    tiers.append(Q(districts__code__startswith=f"{district[:5]}.") | Q(villages__code__startswith=f"{district[:5]}."))
    for tier in tiers:
        found = list(active.filter(tier).distinct().order_by("-last_activity_at", "code")[:limit])
        if found:
            return found
    return []
