"""Chart geometry: round axes, bars in proportion, every bar labelled with its value."""

import pytest

from coop.dashboard.charts import bar_list, column_chart, nice_ceiling


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (2.3, 5), (7, 10), (11, 20), (21, 25), (26, 50),
                                             (180, 200), (230, 250), (900, 1000)])
def test_axes_end_on_a_round_number_not_below_the_largest_value(value, top):
    assert nice_ceiling(value) == top


def test_columns_are_in_proportion_and_stand_on_the_baseline():
    chart = column_chart([("Jan", (10, 5)), ("Feb", (20, 0))], width=400, height=200, top=20, bottom=30)

    first, second = chart.groups[0].bars
    assert first.height == pytest.approx(2 * second.height)
    assert first.y + first.height == pytest.approx(chart.baseline)
    assert (first.series, second.series) == (0, 1)
    assert chart.groups[1].bars[1].height == 0
    assert chart.gridlines[-1][1] == 20  # the top line carries the axis' largest value


def test_horizontal_bars_scale_to_the_longest():
    chart = bar_list([("a", 4), ("b", 2), ("c", 0)])

    assert chart.bars[0].width == pytest.approx(2 * chart.bars[1].width)
    assert chart.bars[2].width == 0
    assert [bar.y for bar in chart.bars] == [0, chart.row_height, 2 * chart.row_height]
