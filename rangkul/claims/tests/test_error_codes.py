from __future__ import annotations

from rangkul.claims.errors import ClaimErrorCode
from rangkul.core.tests.error_codes import bare_codes, error_classes


def test_the_claims_app_raises_and_compares_enumerated_codes_only():
    assert bare_codes("claims") == []


def test_every_claims_error_class_answers_with_a_member_of_the_enum():
    unlisted = {
        cls.__name__: cls.default_code for cls in error_classes("claims") if cls.default_code not in set(ClaimErrorCode)
    }
    assert unlisted == {}
