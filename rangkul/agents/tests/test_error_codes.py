from __future__ import annotations

from rangkul.agents.errors import AgentErrorCode
from rangkul.core.tests.error_codes import bare_codes, error_classes


def test_the_agents_app_raises_and_compares_enumerated_codes_only():
    assert bare_codes("agents") == []


def test_every_agents_error_class_answers_with_a_member_of_the_enum():
    unlisted = {
        cls.__name__: cls.default_code for cls in error_classes("agents") if cls.default_code not in set(AgentErrorCode)
    }
    assert unlisted == {}
