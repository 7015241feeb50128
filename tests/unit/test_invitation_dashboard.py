"""Dashboard arithmetic without HTTP: wave messages, shares, the chart's geometry."""

from __future__ import annotations

import pytest

from invitations.dashboard import CHART_LABEL, GroupRow, chart, wave_message


@pytest.mark.parametrize(
    ("missing", "days", "text"),
    [
        (47, -3, "47 people in the audience not yet invited; send-by deadline passed 3 days ago"),
        (1, -1, "1 person in the audience not yet invited; send-by deadline passed 1 day ago"),
        (2, 0, "2 people in the audience not yet invited; send-by deadline is today"),
        (5, 1, "5 people in the audience not yet invited; send-by deadline in 1 day"),
        (5, 30, "5 people in the audience not yet invited; send-by deadline in 30 days"),
        (0, -3, "Everyone in the audience is invited."),
    ],
)
def test_wave_message(ctx, missing, days, text):
    assert wave_message(missing, days) == text


def test_chart_scales_bars_and_places_target_markers():
    rows = [
        GroupRow("PRIV", "Private sector", target_share=35.0, accepted_share=21.0),
        GroupRow("MS_MIN", "Member States", target_share=20.0, accepted_share=40.0),
        GroupRow("CSO", "Civil society", target_share=0.0, accepted_share=0.0),
    ]
    drawn = chart(rows)
    assert drawn.scale == 40  # the largest share, rounded up to ten
    plot = drawn.width - CHART_LABEL - 10
    priv, ms, cso = drawn.bars
    assert priv.width == round(plot * 21 / 40, 1) and priv.below
    assert priv.marker_x == round(CHART_LABEL + plot * 35 / 40, 1)
    assert ms.width == plot and not ms.below
    assert cso.width == 0 and cso.marker_x is None
    assert [value for _x, value in drawn.ticks] == [0, 10, 20, 30, 40]
    assert priv.y < ms.y < cso.y


def test_chart_of_nothing():
    drawn = chart([])
    assert drawn.bars == [] and drawn.scale == 10 and drawn.height > 0


def test_gap():
    assert GroupRow("PRIV", "", target_share=35.0, accepted_share=21.0).gap == -14.0
