from __future__ import annotations

from rangkul.core.tests.error_codes import bare_codes, error_classes
from rangkul.messaging.errors import MessagingErrorCode


def test_the_messaging_app_raises_and_compares_enumerated_codes_only():
    assert bare_codes("messaging") == []


def test_every_messaging_error_class_answers_with_a_member_of_the_enum():
    unlisted = {
        cls.__name__: cls.default_code
        for cls in error_classes("messaging")
        if cls.default_code not in set(MessagingErrorCode)
    }
    assert unlisted == {}
