"""Form helpers shared by the blueprints."""

from __future__ import annotations

from wtforms.validators import ValidationError


def listed_choice(form, field) -> None:
    """A select's value must be one of its options (WTForms' own check
    speaks English, and a missing filter must mean "all")."""
    values = {choice.value for choice in field.choices}
    if (field.data or "") not in values:
        raise ValidationError("این گزینه در فهرست نیست.")
