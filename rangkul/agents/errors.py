"""The agents app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class AgentErrorCode(StrEnum):
    """Every error code the agents app raises; a ``StrEnum`` member equals the code clients read."""

    AGENT_CODE_TAKEN = "agent_code_taken"
    AGENT_INACTIVE = "agent_inactive"
    AGENT_MAY_NOT_RETURN_YET = "agent_may_not_return_yet"
    ALREADY_AGENT = "already_agent"
    CASH_LIMIT = "cash_limit"
    NO_AGENT_RULES = "no_agent_rules"
    NO_COMMISSION_RULES = "no_commission_rules"
    NO_FRAUD_RULES = "no_fraud_rules"
    NOT_AN_AGENT = "not_an_agent"
    NOT_IN_PORTFOLIO = "not_in_portfolio"
    REGISTRATION_NOT_APPLIED = "registration_not_applied"
