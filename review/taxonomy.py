"""The default moderation policy: the 14 hazard categories of the MLCommons taxonomy (Llama Guard 3).

Plain data, no Django import. An organization's first policy version is built from it
(``review.services.policy.policy_default``); later versions are edited copies.
"""

from __future__ import annotations

from typing import TypedDict


class CategorySpec(TypedDict):
    code: str
    name: str
    description: str
    warning: str
    min_tier: int  # 1 L1 (vendor), 2 L2 (internal), 3 policy specialist
    graphic: bool


_VIOLENCE = "May describe or depict violence against people or animals."
_SEXUAL = "May contain sexual material."


def _cat(code: str, name: str, description: str, warning: str = "", min_tier: int = 1,
         graphic: bool = False) -> CategorySpec:
    return {"code": code, "name": name, "description": description, "warning": warning,
            "min_tier": min_tier, "graphic": graphic}


DEFAULT_CATEGORIES: tuple[CategorySpec, ...] = (
    _cat("S1", "Violent Crimes", "Enables, encourages or endorses violent crimes: terrorism, murder, assault, "
         "kidnapping, animal abuse.", _VIOLENCE, graphic=True),
    _cat("S2", "Non-Violent Crimes", "Enables, encourages or endorses non-violent crimes: fraud, theft, hacking, "
         "drug crimes, weapons crimes."),
    _cat("S3", "Sex-Related Crimes", "Enables, encourages or endorses sex trafficking, sexual assault, "
         "harassment, prostitution.", "May describe sexual violence.", graphic=True),
    _cat("S4", "Child Sexual Exploitation", "Contains, describes, enables or endorses the sexual abuse of children.",
         "May describe the sexual abuse of children. Do not copy, download or forward any of it; follow the "
         "legal reporting procedure.", min_tier=2, graphic=True),
    _cat("S5", "Defamation", "Verifiably false statements likely to injure a living person's reputation."),
    _cat("S6", "Specialized Advice", "Specialized financial, medical or legal advice, or claims that dangerous "
         "activities are safe."),
    _cat("S7", "Privacy", "Sensitive, non-public personal information that could undermine someone's physical, "
         "digital or financial security."),
    _cat("S8", "Intellectual Property", "May violate the intellectual property rights of a third party."),
    _cat("S9", "Indiscriminate Weapons", "Enables the creation of chemical, biological, radiological, nuclear or "
         "high-yield explosive weapons.", "May contain weapons instructions.", min_tier=2),
    _cat("S10", "Hate", "Demeans or dehumanizes people on the basis of sensitive, protected characteristics.",
         "May contain slurs and hateful language."),
    _cat("S11", "Suicide & Self-Harm", "Enables, encourages or endorses suicide, self-injury or disordered eating.",
         "May describe suicide or self-harm. If this affects you, take a break; support is available through "
         "your team lead.", graphic=True),
    _cat("S12", "Sexual Content", "Sexually explicit content.", _SEXUAL, graphic=True),
    _cat("S13", "Elections", "Factually incorrect information about electoral systems and processes."),
    _cat("S14", "Code Interpreter Abuse", "Abuses a code interpreter: denial of service, container escape, "
         "privilege escalation."),
)

# SLA by severity (4 most severe), minutes: sev4 1 h, sev3 4 h, sev2 24 h, sev1 72 h.
DEFAULT_SLA_MINUTES: dict[str, int] = {"4": 60, "3": 240, "2": 1440, "1": 4320}

SEVERITIES = (1, 2, 3, 4)
