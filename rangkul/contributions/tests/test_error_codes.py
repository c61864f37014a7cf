from __future__ import annotations

from rangkul.contributions.errors import ContributionErrorCode
from rangkul.core.tests.error_codes import bare_codes, error_classes


def test_the_contributions_app_raises_and_compares_enumerated_codes_only():
    assert bare_codes("contributions") == []


def test_every_contributions_error_class_answers_with_a_member_of_the_enum():
    unlisted = {
        cls.__name__: cls.default_code
        for cls in error_classes("contributions")
        if cls.default_code not in set(ContributionErrorCode)
    }
    assert unlisted == {}
