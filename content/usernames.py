"""Usernames that read as one thing: a name that looks like someone else's ("аdmin" with a Cyrillic "а") is refused.

Django already folds compatibility forms (NFKC: "ａｄｍｉｎ" is "admin") and refuses a name that differs from a taken
one only in case. What is left is Unicode's look-alikes: letters from two alphabets in one name, or a name written
wholly in letters of another alphabet that look Latin (Cyrillic "асе" reads as "ace").
"""

import unicodedata

from django.core.exceptions import ValidationError

# Scripts that are written together in one name (Japanese mixes kanji and both kana).
SCRIPT_FAMILIES = {"CJK": "HAN", "HIRAGANA": "HAN", "KATAKANA": "HAN", "KATAKANA-HIRAGANA": "HAN"}
# Cyrillic and Greek letters that are drawn like Latin ones.
LATIN_LOOKALIKES = set(
    "аеорсухіјѕԁԛԝһӏвкмнтАВЕКМНОРСТХІЈЅԌӀ"  # Cyrillic
    "αικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"  # Greek
)


def script_of(character: str) -> str | None:
    """The alphabet of a letter (from its Unicode name, e.g. "CYRILLIC SMALL LETTER A"); None for digits and signs."""
    if not character.isalpha():
        return None
    script = unicodedata.name(character, "UNKNOWN").split(" ")[0]
    return SCRIPT_FAMILIES.get(script, script)


def validate_username_unambiguous(value: str) -> None:
    letters = [character for character in unicodedata.normalize("NFKC", value) if character.isalpha()]
    scripts = {script_of(character) for character in letters}
    if len(scripts) > 1:
        names = " and ".join(sorted(script.title() for script in scripts))
        raise ValidationError(
            f"Use letters from one alphabet: this name mixes {names} letters, which can make it look like another "
            "name.",
            code="mixed_scripts",
        )
    if letters and scripts != {"LATIN"} and all(character in LATIN_LOOKALIKES for character in letters):
        raise ValidationError(
            "This name is written in letters that look like Latin ones, so it would read as a different name. "
            "Type it in Latin letters, or choose another.",
            code="confusable",
        )
