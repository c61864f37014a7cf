"""Claims: JKK, JKM, scholarships and JHT, from the event to the money in the claimant's account.

- rules.py — the claims' dated benefit tables (``rules/*.toml``), joined with the headline
  figures of the contribution rule book (one home per figure);
- benefits.py — the benefit calculator: lines of ``(benefit, amount_idr, citation)``;
- eligibility.py — the assessment from the member's record, with enumerated reasons;
- services.py — filing, four-eyes decisions and payouts (writes, audited);
- disbursement.py — the bank-transfer adapter (sandbox built in);
- selectors.py, api.py, views.py — reads and the thin interfaces.
"""
