from __future__ import annotations

from rangkul.core.tests.error_codes import bare_codes, error_classes
from rangkul.regions.errors import RegionErrorCode


def test_the_regions_app_raises_and_compares_enumerated_codes_only():
    assert bare_codes("regions") == []


def test_every_regions_error_class_answers_with_a_member_of_the_enum():
    unlisted = {
        cls.__name__: cls.default_code
        for cls in error_classes("regions")
        if cls.default_code not in set(RegionErrorCode)
    }
    assert unlisted == {}
