"""Which stored view of an item each clearance level reads. The raw text is not a view."""

from __future__ import annotations

RESTRICTED_FIELD = "text_redacted"  # every finding replaced by its type placeholder, e.g. <EMAIL>
STANDARD_FIELD = "text_pseudonymized"  # consistent pseudonyms, e.g. <PERSON_3>; dangerous types as placeholders

_FIELDS = {"restricted": RESTRICTED_FIELD, "standard": STANDARD_FIELD, "internal": STANDARD_FIELD}
VIEW_FIELDS = frozenset(_FIELDS.values())


def view_field(clearance: str) -> str:
    """The item column a user of this clearance reads. Internal staff read pseudonyms too and reveal
    raw content one item at a time (privacy.reveal); an unknown level is an error, never a fallback."""
    try:
        return _FIELDS[str(clearance)]
    except KeyError:
        raise ValueError(f"unknown clearance {clearance!r}") from None
