"""Issue 15.14: "more than 1 days", "after 1 minutes"."""

from jhe_tui.api.text import counted


def test_one_is_singular_and_the_rest_plural():
    assert [counted(n, "day") for n in (0, 1, 2, 1.5)] == ["0 days", "1 day", "2 days", "1.5 days"]


def test_large_counts_have_thousands_separators_not_exponents():
    assert counted(10_000, "row") == "10,000 rows" and counted(1_000_000, "observation") == "1,000,000 observations"
    assert counted(2.0, "minute") == "2 minutes"
