"""Property-based tests take their budget from a profile: small while developing, full in CI."""

from __future__ import annotations

import os

from hypothesis import settings

from conftest import hypothesis_profile


def test_ci_runs_the_full_profile_and_development_the_small_one():
    assert hypothesis_profile({"CI": "true"}) == "ci"
    assert hypothesis_profile({"CI": "1"}) == "ci"
    assert hypothesis_profile({}) == "dev"
    assert hypothesis_profile({"CI": "false"}) == "dev"
    assert hypothesis_profile({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}) == "dev"
    assert settings.get_profile("ci").max_examples > settings.get_profile("dev").max_examples


def test_the_loaded_profile_is_the_one_the_environment_chooses():
    chosen = settings.get_profile(hypothesis_profile(os.environ))
    assert settings.default.max_examples == chosen.max_examples
    assert settings.default.deadline is None
