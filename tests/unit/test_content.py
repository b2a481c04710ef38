"""The organisation's profile: placeholders are visible, and production refuses them."""
from __future__ import annotations

import shutil
from datetime import date

import pytest
import yaml

from haven.services.content import INLINE_PLACEHOLDER, load_profile, placeholders
from haven.services.content_check import check
from haven.services.targets import Targets
from tests.helpers import CONTENT_DIR


@pytest.fixture
def content_copy(tmp_path):
    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    return tmp_path / "content"


def fill_placeholders(content_dir):
    path = content_dir / "site.yaml"
    data = yaml.safe_load(path.read_text())
    data["organisation"]["da_team"] = {"phone": "0121 000 0000", "email": "da@example.org",
                                       "opening_hours": "Mon-Fri 09:00-17:00"}
    data["organisation"]["areas_served"] = ["Walsall"]
    data["response_targets"] = {"urgent_hours": 2, "standard_working_days": 3, "confirmed": True}
    path.write_text(yaml.safe_dump(data))
    for page in content_dir.glob("pages/*/*.md"):
        page.write_text(INLINE_PLACEHOLDER.sub("a detail the organisation supplied", page.read_text()))
    areas = content_dir / "areas.yaml"
    areas.write_text(areas.read_text().replace("to_verify: true", "to_verify: false"))
    for seed in content_dir.glob("services/*.yaml"):
        data = yaml.safe_load(seed.read_text())
        if data["state"] == "published":
            data.update(last_verified=date.today().isoformat(), to_verify=[])
            seed.write_text(yaml.safe_dump(data))


def test_shipped_profile_lists_what_the_organisation_must_supply():
    profile = load_profile(CONTENT_DIR)
    assert profile.name
    assert profile.exit_destination == "https://www.bbc.co.uk/weather"
    waiting = placeholders(profile.raw)
    assert "organisation.da_team.phone" in waiting
    # The response targets are numbers with working defaults, awaiting confirmation, not a placeholder.
    assert profile.targets == Targets(urgent_hours=4, standard_working_days=1, confirmed=False)


def test_check_passes_in_development_but_fails_in_production_while_placeholders_remain():
    passes, lines = check(CONTENT_DIR, production=False)
    assert passes and any("organisation.da_team.phone" in line for line in lines)
    passes, lines = check(CONTENT_DIR, production=True)
    assert not passes
    assert any(line.startswith("error:") and "da_team.phone" in line for line in lines)


def test_unconfirmed_response_targets_fail_production_only(content_copy):
    fill_placeholders(content_copy)
    path = content_copy / "site.yaml"
    data = yaml.safe_load(path.read_text())
    data["response_targets"]["confirmed"] = False
    path.write_text(yaml.safe_dump(data))
    assert check(content_copy, production=False)[0]
    passes, lines = check(content_copy, production=True)
    assert not passes and lines == ["error: site.yaml response_targets are development defaults (set confirmed: true once agreed)"]


@pytest.mark.parametrize("value", [0, "4 hours", True, 1000, None])
def test_a_response_target_must_be_a_sensible_whole_number(content_copy, value):
    path = content_copy / "site.yaml"
    data = yaml.safe_load(path.read_text())
    data["response_targets"]["urgent_hours"] = value
    path.write_text(yaml.safe_dump(data))
    passes, lines = check(content_copy, production=False)
    assert not passes and "response_targets.urgent_hours must be a whole number" in lines[0]


def test_check_passes_in_production_once_everything_is_supplied(content_copy):
    fill_placeholders(content_copy)
    assert check(content_copy, production=True) == (True, [])


def test_check_refuses_an_exit_destination_that_is_not_https(content_copy):
    fill_placeholders(content_copy)
    path = content_copy / "site.yaml"
    data = yaml.safe_load(path.read_text())
    data["exit_destination"] = "javascript:alert(1)"
    path.write_text(yaml.safe_dump(data))
    passes, lines = check(content_copy, production=True)
    assert not passes and any("exit_destination" in line for line in lines)


def test_content_check_command_exit_status(app, runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0 and "placeholder:" in result.output
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 1 and "content: not ready" in result.output


def test_content_load_is_idempotent(runner):
    assert "content: loaded" in runner.invoke(args=["content", "load"]).output
    assert "content: unchanged" in runner.invoke(args=["content", "load"]).output
