"""The risk checklist (content/risk_checklist.yaml), its scoring and the MARAC criteria.

Answers are the person's own and are encrypted on the timeline (services/cases.py); the score and
whether it is high risk are plain, for lists and reports. Several assessments over time are each
kept: a risk that changes is a fact to see.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ANSWERS = ("yes", "no", "not_known")
FILE = "risk_checklist.yaml"
# The assessment form's own fields: a question may not take their names.
RESERVED = {"judgement", "escalation", "csrf_token", "submit"}


class ChecklistError(ValueError):
    pass


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    weight: int


@dataclass(frozen=True)
class Checklist:
    questions: tuple[Question, ...]
    high_risk_at: int

    def score(self, answers: dict[str, str]) -> int:
        return sum(question.weight for question in self.questions if answers.get(question.id) == "yes")

    def is_high(self, score: int) -> bool:
        return score >= self.high_risk_at


def load(content_dir: Path) -> Checklist:
    data = yaml.safe_load((Path(content_dir) / FILE).read_text(encoding="utf-8")) or {}
    if list(data.get("answers") or []) != list(ANSWERS):
        raise ChecklistError(f"{FILE}: answers must be {list(ANSWERS)}")
    questions, seen = [], set()
    for number, item in enumerate(data.get("questions") or [], 1):
        if not isinstance(item, dict) or not str(item.get("id") or "").isidentifier() or not item.get("text"):
            raise ChecklistError(f"{FILE}: question {number} needs an id (letters, digits, _) and a text")
        weight = item.get("weight")
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 10:
            raise ChecklistError(f"{FILE}: question {item['id']} needs a weight from 1 to 10")
        if item["id"] in RESERVED:
            raise ChecklistError(f"{FILE}: question id {item['id']} is a name the form uses itself")
        if item["id"] in seen:
            raise ChecklistError(f"{FILE}: question id {item['id']} is used twice")
        seen.add(item["id"])
        questions.append(Question(item["id"], str(item["text"]), weight))
    if not questions:
        raise ChecklistError(f"{FILE}: no questions")
    threshold = data.get("high_risk_at")
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= sum(q.weight for q in questions):
        raise ChecklistError(f"{FILE}: high_risk_at must be a whole number the answers can reach")
    return Checklist(tuple(questions), threshold)


@dataclass(frozen=True)
class Criteria:
    """Why a case meets (or not) the MARAC referral criteria, each shown on the case."""

    high_score: bool
    professional_judgement: bool
    escalation: bool
    repeat: bool

    @property
    def met(self) -> bool:
        return self.high_score or self.professional_judgement or self.escalation or self.repeat
