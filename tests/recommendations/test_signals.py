import numpy as np
import pytest

from recommendations import signals


@pytest.mark.parametrize(
    ("kind", "value", "counts_for", "counts_against"),
    [
        ("like", None, True, False),
        ("save", None, True, False),
        ("view", None, True, False),
        ("click", None, True, False),
        ("dislike", None, False, True),
        ("hide", None, False, True),
        ("rating", 5, True, False),
        ("rating", 4, True, False),
        ("rating", 3, False, False),
        ("rating", 2, False, True),
        ("rating", 1, False, True),
        ("rating", None, False, False),
        ("unknown", None, False, False),
    ],
)
def test_each_kind_of_feedback_counts_for_or_against_the_item(kind, value, counts_for, counts_against):
    assert signals.is_positive(kind, value) is counts_for
    assert bool(signals.leans_against(signals.weight(kind, value))) is counts_against


def test_the_matcher_agrees_on_rows_and_arrays():
    kinds = np.array(["like", "hide", "rating", "rating", "view", "rating"], dtype=object)
    values = np.array([np.nan, np.nan, 4.0, 2.0, np.nan, 3.0])

    rows = signals.leans_for(signals.weights(kinds, values))

    assert rows.tolist() == [
        signals.is_positive(k, None if np.isnan(v) else v) for k, v in zip(kinds, values, strict=True)
    ]


def test_feedback_that_cancels_out_leans_neither_way():
    net = signals.weight("like") + signals.weight("dislike")

    assert not signals.leans_for(net)
    assert not signals.leans_against(net)


def test_said_feedback_is_explicit_and_opening_an_item_is_not():
    assert [kind for kind in ("like", "save", "rating", "dislike", "hide") if signals.is_explicit(kind)] == [
        "like",
        "save",
        "rating",
        "dislike",
        "hide",
    ]
    assert not signals.is_explicit("view")
    assert not signals.is_explicit("click")


def test_reasons_name_the_most_telling_positive_feedback_per_item():
    feedback = [
        (1, "view", None),
        (1, "like", None),
        (2, "view", None),
        (2, "rating", 5.0),
        (3, "rating", 2.0),
        (4, "hide", None),
        (5, "click", None),
        (5, "save", None),
    ]

    assert signals.strongest_positive(feedback) == {1: ("like", None), 2: ("rating", 5.0), 5: ("save", None)}


def test_every_kind_that_counts_for_an_item_can_be_named():
    positive_kinds = [kind for kind in signals.KIND_WEIGHTS if signals.is_positive(kind)] + ["rating"]

    assert set(positive_kinds) <= set(signals.NAMED_ORDER)


def test_dismissing_feedback_counts_against():
    assert all(
        not signals.is_positive(kind) and signals.leans_against(signals.weight(kind))
        for kind in signals.DISMISSING_KINDS
    )
