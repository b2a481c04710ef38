"""What the running organisation commits to, from its own DA policy: content/profiles/<name>.yaml.

Each commitment names the policy clause it comes from. Pages state a commitment only when the
profile makes it (a `::: if <commitment>` block, services/pages.py), and staff features that exist
to keep a commitment (the emergency-transfer clock, evidence photos, action against the person
causing harm) show only when it is made. `content check` validates the profile and the pages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

# Every commitment a profile may make, and what it means. A profile lists the ones its policy makes.
KNOWN = {
    "contact_channels": "we speak to people by telephone, email or face to face, by their preference and the risk",
    "home_visits": "we visit at home where safe, or see people at our offices",
    "sensitive_service": "every case taken seriously and handled with care and respect",
    "support_to_stay": "helping people stay in their own home first, if that is what they want",
    "confidential_service": "a confidential service",
    "confidentiality_limits": "the limits of confidentiality: what we report and to whom",
    "advice": "advice about options",
    "signposting": "signposting to partners that may help further",
    "idva_signposting": "signposting to the nearest IDVA service",
    "target_hardening": "advice and physical measures to make the home safer, so people can stay",
    "staying_put_schemes": "named schemes to stay at home (Staying Put, Sanctuary Schemes)",
    "rehousing": "rehousing where the risk at home is significant, after an assessment",
    "rehousing_critical_need": "'critical need' and 'gold' banding when rehousing is agreed",
    "rehousing_single_offer": "one like-for-like offer of rehousing, in any area",
    "alternative_accommodation": "help to seek alternative accommodation when staying is not possible",
    "emergency_transfer": "an emergency transfer, with help to make a homeless application if none within the weeks given",
    "emergency_accommodation": "emergency accommodation made available with partners where there is significant risk",
    "visual_evidence": "Visual Evidence for Victims: photographs kept securely for later",
    "action_against_perpetrator": "action against the person causing harm (tenancy, eviction), on the victim's wishes",
    "consent_before_action": "the person's full consent before any action",
    "perpetrator_support": "work with perpetrators and families where services exist",
    "partner_agencies": "work with partner agencies",
    "marac": "taking part in MARACs",
    "records": "secure records of all reported cases, the risk recorded",
    "response_measured": "counting cases responded to within the local timescales, and the exceptions",
    "feedback_after_closure": "asking reporters for feedback after their case is closed",
    "complaints": "how complaints about the handling of DA are dealt with",
    "reporting": "how often performance is reported, and to whom",
    "benchmarking": "benchmarking against other providers",
    "audits_and_reviews": "compliance audits and casework reviews",
    "make_a_stand": "the CIH Make a Stand pledge and its DA champion",
    "staff_training": "specialist training for colleagues who deal with DA",
    "inclusive": "a policy inclusive of all genders, protected characteristics considered",
}


class CommitmentError(ValueError):
    pass


@dataclass(frozen=True)
class Commitment:
    key: str
    clause: str
    details: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Commitments:
    organisation: str
    policy: str
    made: tuple[Commitment, ...]

    def makes(self, key: str) -> bool:
        if key not in KNOWN:
            raise CommitmentError(f"no commitment is called {key!r}")
        return any(commitment.key == key for commitment in self.made)

    def get(self, key: str) -> Commitment | None:
        return next((commitment for commitment in self.made if commitment.key == key), None)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(commitment.key for commitment in self.made)


def load(path: Path) -> Commitments:
    """The profile at `path`, validated: every commitment known and citing its clause."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    name = path.name if isinstance(path, Path) else str(path)
    for required in ("organisation", "policy", "commitments"):
        if not data.get(required):
            raise CommitmentError(f"{name}: {required} is missing")
    made = []
    for key, value in data["commitments"].items():
        if key not in KNOWN:
            raise CommitmentError(f"{name}: {key!r} is not a commitment Haven knows (see services/commitments.KNOWN)")
        value = value or {}
        clause = str(value.get("clause") or "").strip()
        if not clause:
            raise CommitmentError(f"{name}: {key} names no policy clause")
        made.append(Commitment(key, clause, {k: v for k, v in value.items() if k != "clause"}))
    weeks = next((c.details.get("weeks") for c in made if c.key == "emergency_transfer"), None)
    if any(c.key == "emergency_transfer" for c in made) and not (isinstance(weeks, int) and weeks > 0):
        raise CommitmentError(f"{name}: emergency_transfer needs weeks, a whole number")
    return Commitments(str(data["organisation"]), str(data["policy"]), tuple(made))
