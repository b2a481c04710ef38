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


# Whoever edits the file needs the line to fix, so the loader keeps where each part of it starts.
class _Map(dict):
    line = 1
    lines: dict


class _List(list):
    line = 1
    lines: list


class _Loader(yaml.SafeLoader):
    pass


def _start(node) -> int:
    return node.start_mark.line + 1


def _map(loader, node):
    seen = set()
    # PyYAML keeps only the last of two equal keys: a second `questions:` would drop the first.
    for key in (key for key, _ in node.value if isinstance(key, yaml.ScalarNode)):
        if (key.tag, key.value) in seen:
            raise _error(_start(key), f"{key.value} appears twice here; only the last would count")
        seen.add((key.tag, key.value))
    found = _Map(loader.construct_mapping(node, deep=True))
    found.line = _start(node)
    # A bad value is blamed where it is written; a bad list or mapping at its key, since its
    # first item may be lines below.
    found.lines = {loader.construct_object(key): _start(value if isinstance(value, yaml.ScalarNode) else key)
                   for key, value in node.value}
    return found


def _list(loader, node):
    found = _List(loader.construct_sequence(node, deep=True))
    found.line, found.lines = _start(node), [_start(item) for item in node.value]
    return found


_Loader.add_constructor("tag:yaml.org,2002:map", _map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _list)


def _error(line: int, problem: str) -> ChecklistError:
    return ChecklistError(f"{FILE} line {line}: {problem}")


def _line(mapping: _Map, key: str) -> int:
    return mapping.lines.get(key, mapping.line)


def _quote(value) -> str:
    # YAML 1.1 reads an unquoted yes, no, on or off as true or false: "the answers are wrong" alone
    # would leave the person looking at a file that reads right.
    if not isinstance(value, bool):
        return ""
    return " (put it in quotes: unquoted, YAML reads yes, no, on and off as true and false)"


def _read(path: Path):
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _error(raw.count(b"\n", 0, error.start) + 1, "the file is not UTF-8 text") from None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        return (loader.construct_document(node), _start(node)) if node else (None, 1)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise _error(mark.line + 1, f"the file is not valid YAML ({error.problem})") from None
    except yaml.reader.ReaderError as error:  # a control character: it has a position, not a mark
        line = text.count("\n", 0, error.position) + 1
        raise _error(line, f"the file is not valid YAML ({error.reason}: #x{error.character:04x})") from None


def load(content_dir: Path) -> Checklist:
    data, line = _read(Path(content_dir) / FILE)
    if not isinstance(data, _Map):
        raise _error(line, "the file must be a mapping of answers, high_risk_at and questions")
    answers = data.get("answers")
    for item, item_line in zip(answers, answers.lines) if isinstance(answers, _List) else ():
        if isinstance(item, bool):
            raise _error(item_line, f"answers must be {list(ANSWERS)}{_quote(item)}")
    if answers != list(ANSWERS):
        raise _error(_line(data, "answers"), f"answers must be {list(ANSWERS)}")
    items = data.get("questions")
    if not isinstance(items, _List):
        raise _error(_line(data, "questions"), "questions must be a list, each item starting with '- '")
    questions, seen = [], set()
    for number, (item, item_line) in enumerate(zip(items, items.lines), 1):
        if not isinstance(item, _Map):
            raise _error(item_line, f"question {number} must be a mapping of id, weight and text")
        id_, text, weight = item.get("id"), item.get("text"), item.get("weight")
        # A missing key is blamed on the question's first line, a bad value on its own.
        if not isinstance(id_, str) or not id_.isidentifier():
            raise _error(_line(item, "id"), f"question {number} needs an id (letters, digits, _){_quote(id_)}")
        if not isinstance(text, str) or not text.strip():
            raise _error(_line(item, "text"), f"question {id_} needs a text{_quote(text)}")
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 10:
            raise _error(_line(item, "weight"), f"question {id_} needs a weight from 1 to 10")
        if id_ in RESERVED:
            raise _error(_line(item, "id"), f"question id {id_} is a name the form uses itself")
        if id_ in seen:
            raise _error(_line(item, "id"), f"question id {id_} is used twice")
        seen.add(id_)
        questions.append(Question(id_, text, weight))
    if not questions:
        raise _error(_line(data, "questions"), "no questions")
    threshold, most = data.get("high_risk_at"), sum(question.weight for question in questions)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= most:
        raise _error(_line(data, "high_risk_at"),
                     f"high_risk_at must be a whole number from 1 to {most}, the most the answers can score")
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
