from __future__ import annotations

import datetime as dt
import json
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rangkul.contributions.checks import check_rules_cover_today
from rangkul.contributions.errors import NoRulesForMonth
from rangkul.contributions.models import BenefitRule, DiscountRule, IncomeLevel, RuleSet
from rangkul.contributions.rules import RULES_DIR, RuleFileInvalid, RuleVersionLocked, parse_rule_file, rules_load
from rangkul.contributions.selectors import rulebook_for
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules_dir(tmp_path):
    for path in RULES_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _newer_version(rules_dir, *, version="BPU-2028-01", effective_from="2028-01-01", jkm="7000"):
    text = (RULES_DIR / "bpu-2024-01.toml").read_text()
    text = text.replace('version = "BPU-2024-01"', f'version = "{version}"')
    text = text.replace("effective_from = 2024-01-01", f"effective_from = {effective_from}")
    text = text.replace("flat_idr = 6800", f"flat_idr = {jkm}")
    (rules_dir / f"{version.lower()}.toml").write_text(text)


def test_the_migration_loaded_the_shipped_rules():
    ruleset = RuleSet.objects.get(version="BPU-2024-01")
    assert ruleset.effective_to is None
    assert "PP 50/2025" in ruleset.citation and "PP 82/2019" in ruleset.citation
    assert IncomeLevel.objects.filter(ruleset=ruleset).first().income_idr == 1_000_000
    assert IncomeLevel.objects.get(ruleset=ruleset, income_idr=1_000_000).jkk_idr == 10_000
    assert DiscountRule.objects.filter(ruleset=ruleset).count() == 2
    assert BenefitRule.objects.filter(ruleset=ruleset, program="JKM", code="death").get().values["amount_idr"] == (
        42_000_000
    )


def test_shipped_file_states_the_lampiran_ii_placeholder():
    text = (RULES_DIR / "bpu-2024-01.toml").read_text()
    assert "Lampiran II" in text and "placeholder" in text


def test_rulebook_reads_schedule_programs_and_ages():
    book = rulebook_for(Period(2026, 5))
    assert (book.due_day, book.prepay_min_months, book.prepay_max_months) == (15, 1, 12)
    assert (book.arrears_window_months, book.lapse_after_unpaid_months) == (3, 3)
    assert book.registration_max_age == 65
    assert {c for c, p in book.programs.items() if p.available} == {"JKK", "JKM", "JHT"}
    assert {c for c, p in book.programs.items() if p.mandatory} == {"JKK", "JKM"}
    assert not book.programs["JP"].available and not book.programs["JKP"].available


def test_command_is_idempotent_and_prints_json(rules_dir):
    out = StringIO()
    call_command("load_contribution_rules", directory=str(rules_dir), stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"loaded": [], "unchanged": ["BPU-2024-01"]}
    count = IncomeLevel.objects.count()
    call_command("load_contribution_rules", directory=str(rules_dir), stdout=StringIO())
    assert IncomeLevel.objects.count() == count


def test_new_version_is_added_and_used_for_its_months(rules_dir):
    _newer_version(rules_dir)
    summary = rules_load(directory=rules_dir)
    assert summary == {"loaded": ["BPU-2028-01"], "unchanged": ["BPU-2024-01"]}
    assert rulebook_for(Period(2027, 12)).version == "BPU-2024-01"
    assert rulebook_for(Period(2028, 1)).programs["JKM"].flat_idr == 7_000


def test_unlocked_version_may_be_corrected_in_place(rules_dir):
    _newer_version(rules_dir)
    rules_load(directory=rules_dir)
    _newer_version(rules_dir, jkm="7100")
    assert rules_load(directory=rules_dir)["loaded"] == ["BPU-2028-01"]
    assert rulebook_for(Period(2028, 1)).programs["JKM"].flat_idr == 7_100


def test_locked_version_is_never_changed(rules_dir):
    RuleSet.objects.filter(version="BPU-2024-01").update(is_locked=True)
    path = rules_dir / "bpu-2024-01.toml"
    path.write_text(path.read_text().replace("flat_idr = 6800", "flat_idr = 9999"))
    with pytest.raises(RuleVersionLocked):
        rules_load(directory=rules_dir)
    with pytest.raises(CommandError, match="tidak dapat diubah"):
        call_command("load_contribution_rules", directory=str(rules_dir), stdout=StringIO())
    assert rulebook_for(Period(2026, 1)).programs["JKM"].flat_idr == 6_800


def test_invalid_file_is_refused(tmp_path):
    (tmp_path / "broken.toml").write_text('version = "X"\neffective_from = 2030-01-01\n')
    with pytest.raises(RuleFileInvalid):
        parse_rule_file(tmp_path / "broken.toml")
    (tmp_path / "bad.toml").write_text("this is = = not toml")
    with pytest.raises(RuleFileInvalid):
        parse_rule_file(tmp_path / "bad.toml")


def test_check_passes_when_today_is_covered():
    assert check_rules_cover_today(databases=["default"]) == []


def test_check_fails_when_no_version_covers_today():
    RuleSet.objects.update(effective_to=dt.date(2024, 12, 31))
    messages = check_rules_cover_today(databases=["default"])
    assert [m.id for m in messages] == ["contributions.E001"]
    with pytest.raises(NoRulesForMonth):
        rulebook_for(Period(2026, 1))


def test_check_skips_when_databases_are_not_checked():
    RuleSet.objects.all().delete()
    assert check_rules_cover_today(databases=None) == []


def test_admin_shows_rules_read_only(admin_client):
    client = admin_client
    ruleset = RuleSet.objects.get(version="BPU-2024-01")
    response = client.get(f"/admin/contributions/ruleset/{ruleset.pk}/change/")
    assert response.status_code == 200
    assert b"BPU-2024-01" in response.content
    assert client.get("/admin/contributions/ruleset/add/").status_code == 403
