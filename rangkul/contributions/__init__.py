"""Contributions: rule tables, quotes, bills and payment codes, the ledger, coverage and status.

Public interface (other apps call these; see each docstring):

- rules.py — ``rules_load`` (files in ``rules/*.toml`` → rows; command
  ``load_contribution_rules``), ``rulebook_for(period)`` → ``RuleBook``.
- quotes.py — ``contribution_quote(*, declared_income_idr, programs=None, jht=None, sector,
  month, sponsor_kind=None) -> Quote`` (lines: program, amount_idr, discount_idr).
- schedule.py — pure rule functions: ``due_date``, ``payable_periods``,
  ``payable_arrears``, ``member_status``, ``status_history``, ``next_status_review``.
- ledger.py — ``journal_post(*, actor, kind, reference, lines)`` (balanced, idempotent).
- services.py — ``bill_issue``, ``group_bill_issue``, ``group_bill_pay``,
  ``payment_allocate``, ``credit_apply``, ``paid_months_reprice``,
  ``member_status_refresh``, ``member_statuses_review``, ``adjustment_propose``,
  ``adjustment_approve``, ``adjustment_reject``.
- selectors.py — ``coverage_on`` (one query), ``worker_status``, ``paid_months``,
  ``member_credit_idr``, ``bill_for_payment_code``, ``ledger_totals``, ``account_balance``.
"""
