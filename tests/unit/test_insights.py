"""The five insight analyzers on synthetic days: planted effects are found, absent ones are not
(at alpha 0.05), statistics equal SciPy's on the same numbers, "next day" is the next calendar
date, small samples conclude nothing, and each figure has its traces. Plus `biolake insights
--format json` on a tiny Delta lake. No Spark, no Trino."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

from app.insights import (
    ANALYZERS,
    InsightInputError,
    Period,
    anomalies,
    daily_rows_sql,
    intensity,
    readiness_trend,
    run_all,
    sleep_readiness,
    workout_recovery,
)
from app.insights.base import daily_frame, holm, next_day
from app.serving.sql_guard import check_read_only
from tests.support.lakes import GOLD_SCHEMA, gold_rows

END = date(2025, 3, 31)
ALPHA = 0.05


def consecutive(n: int, end: date = END) -> list[date]:
    return [end - timedelta(days=n - 1 - i) for i in range(n)]


def frame(days: list[date], **columns) -> pd.DataFrame:
    """Gold-like rows: the given columns, neutral defaults for the others."""
    n = len(days)
    data = {
        "person_id": ["me"] * n, "day": days, "readiness_score": [75.0] * n,
        "sleep_score": [75.0] * n, "hrv_avg": [45.0] * n, "had_workout": [False] * n,
        "workout_count": [0] * n, "disciplines": [[] for _ in range(n)],
        "total_output_kj": [0.0] * n,
    }
    for name, values in columns.items():
        data[name] = list(values)
    return pd.DataFrame(data)


def period_of(days: list[date]) -> Period:
    return Period(min(days), max(days))


def trace_names(figure) -> list[str]:
    return [trace.name for trace in figure.data]


# -- shared base ------------------------------------------------------------------------------
def test_next_day_is_the_next_calendar_date_not_the_next_row():
    days = [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 4)]  # Jan 3 missing
    values = pd.Series([1.0, 2.0, 4.0], index=pd.DatetimeIndex(days))
    following = next_day(values)
    assert following.iloc[0] == 2.0
    assert math.isnan(following.iloc[1])  # Jan 2 has no Jan 3, and is not paired with Jan 4
    assert math.isnan(following.iloc[2])


def test_daily_frame_refuses_unreadable_rows():
    days = consecutive(3)
    with pytest.raises(InsightInputError, match="sleep_score"):
        daily_frame(frame(days).drop(columns="sleep_score"), period_of(days), ("sleep_score",))
    with pytest.raises(InsightInputError, match="appears more than once"):
        daily_frame(frame([*days, days[0]]), period_of(days), ("sleep_score",))
    two = frame(days, person_id=["me", "you", "me"])
    with pytest.raises(InsightInputError, match="one person"):
        daily_frame(two, period_of(days), ("sleep_score",))


def test_daily_frame_keeps_only_the_period_and_reads_engine_values():
    days = consecutive(5)
    rows = frame(days, disciplines=[["Cycling"], None, [], ["strength"], "yoga"])
    rows["day"] = [d.isoformat() for d in days]  # engines return ISO strings
    daily = daily_frame(rows, Period(days[1], days[3]), ("disciplines",))
    assert [d.date() for d in daily.index] == days[1:4]
    assert list(daily["disciplines"]) == [(), (), ("strength",)]


def test_holm_adjustment():
    assert holm([0.01, None, 0.04, 0.03]) == pytest.approx([0.03, None, 0.06, 0.06])


# -- 1. sleep → readiness ---------------------------------------------------------------------
def test_sleep_readiness_finds_a_planted_link_with_scipys_numbers():
    rng = np.random.default_rng(11)
    days = consecutive(60)
    sleep = rng.normal(75, 8, 60).round()
    readiness = np.r_[75.0, (15 + 0.8 * sleep[:-1] + rng.normal(0, 4, 59)).round()]
    result = sleep_readiness.analyze(frame(days, sleep_score=sleep, readiness_score=readiness),
                                     period_of(days))
    x, y = sleep[:-1], readiness[1:]  # sleep of d, readiness of d + 1
    expected, fit = stats.pearsonr(x, y), stats.linregress(x, y)
    assert result.n == 59 and result.sufficient and result.significant
    assert result.r == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.slope == pytest.approx(fit.slope)
    assert result.intercept == pytest.approx(fit.intercept)
    assert result.r > 0.5
    assert "rises" in " ".join(sleep_readiness.narrate(result))


def test_sleep_readiness_finds_nothing_when_there_is_nothing():
    rng = np.random.default_rng(5)
    days = consecutive(60)
    sleep, readiness = rng.normal(75, 8, 60).round(), rng.normal(75, 8, 60).round()
    result = sleep_readiness.analyze(frame(days, sleep_score=sleep, readiness_score=readiness),
                                     period_of(days))
    assert result.p_value == pytest.approx(stats.pearsonr(sleep[:-1], readiness[1:]).pvalue)
    assert result.p_value >= ALPHA and not result.significant
    assert "no clear link" in sleep_readiness.narrate(result)[0]


def test_sleep_readiness_never_pairs_across_a_missing_day():
    days = [d for i, d in enumerate(consecutive(10)) if i != 4]  # the 5th day is missing
    sleep = [60.0, 62, 64, 66, 70, 72, 74, 76, 78]
    readiness = [61.0, 63, 65, 67, 99, 73, 75, 77, 79]
    result = sleep_readiness.analyze(frame(days, sleep_score=sleep, readiness_score=readiness),
                                     period_of(days))
    paired_days = [p.day for p in result.pairs]
    assert days[3] not in paired_days  # its next calendar date has no row
    assert paired_days == [d for d in days if d + timedelta(days=1) in days]
    by_day = dict(zip(days, readiness, strict=True))
    assert all(p.next_day_readiness == by_day[p.day + timedelta(days=1)] for p in result.pairs)


def test_sleep_readiness_small_n_concludes_nothing():
    days = consecutive(6)
    sleep = [60.0, 70, 80, 65, 75, 85]
    result = sleep_readiness.analyze(
        frame(days, sleep_score=sleep, readiness_score=[70.0, *sleep[:-1]]), period_of(days)
    )
    assert result.n == 5 and not result.sufficient
    assert result.p_value is not None and result.p_value < ALPHA  # a perfect line ...
    assert not result.significant  # ... from 5 nights is still no finding
    assert any("at least 10" in c for c in result.caveats)
    assert "no conclusion" in sleep_readiness.narrate(result)[0]


# -- 2. workout → recovery --------------------------------------------------------------------
def test_workout_types_from_disciplines():
    wt = workout_recovery.workout_type
    assert wt(False, []) == "rest"
    assert wt(True, ["cycling"]) == "cycling"
    assert wt(True, ["cycling", "yoga"]) == "cycling"  # recovery add-ons do not change the type
    assert wt(True, ["strength", "stretching"]) == "strength"
    assert wt(True, ["cycling", "strength"]) == "other"
    assert wt(True, ["meditation"]) == "other"
    assert wt(True, ["running"]) == "other"


def _typed_days(seed: int, effect: float, n: int = 150):
    rng = np.random.default_rng(seed)
    days = consecutive(n)
    kinds = rng.choice(["rest", "cycling", "strength", "other"], size=n, p=[0.4, 0.3, 0.15, 0.15])
    disciplines = {"rest": [], "cycling": ["cycling"], "strength": ["strength"],
                   "other": ["cycling", "strength"]}
    readiness = np.r_[78.0, [78 - (effect if k == "cycling" else 0) + rng.normal(0, 4)
                             for k in kinds[:-1]]].round()
    rows = frame(days, readiness_score=readiness, had_workout=kinds != "rest",
                 disciplines=[disciplines[k] for k in kinds])
    return rows, days, kinds, readiness


def test_workout_recovery_finds_a_planted_cost_of_cycling():
    rows, days, kinds, readiness = _typed_days(seed=3, effect=10)
    result = workout_recovery.analyze(rows, period_of(days))
    after, kind = readiness[1:], kinds[:-1]
    raw = {}
    for name in ("cycling", "strength", "other"):
        group, rest = after[kind == name], after[kind == "rest"]
        test = stats.mannwhitneyu(group, rest, alternative="two-sided")
        c = next(c for c in result.comparisons if c.group == name)
        assert (c.n_group, c.n_reference) == (len(group), len(rest))
        assert c.u_statistic == pytest.approx(test.statistic)
        assert c.p_value == pytest.approx(test.pvalue)
        assert c.rank_biserial == pytest.approx(2 * test.statistic / (len(group) * len(rest)) - 1)
        raw[name] = test.pvalue
    adjusted = dict(zip(raw, holm(list(raw.values())), strict=True))
    cycling = next(c for c in result.comparisons if c.group == "cycling")
    assert cycling.p_adjusted == pytest.approx(adjusted["cycling"])
    assert cycling.p_adjusted < ALPHA and cycling.rank_biserial < -0.5
    assert result.headline == "cycling" and result.significant
    assert result.p_value == pytest.approx(adjusted["cycling"])
    for name in ("strength", "other"):
        assert next(c for c in result.comparisons if c.group == name).p_adjusted >= ALPHA
    assert "After cycling days you are less ready" in " ".join(workout_recovery.narrate(result))


def test_workout_recovery_finds_nothing_when_there_is_nothing():
    rows, days, _, _ = _typed_days(seed=8, effect=0)
    result = workout_recovery.analyze(rows, period_of(days))
    assert all(c.p_adjusted >= ALPHA for c in result.comparisons)
    assert result.sufficient and not result.significant


def test_workout_recovery_uses_the_next_calendar_date_and_flags_small_groups():
    days = consecutive(40)
    kinds = ["rest", "cycling"] * 20
    kinds[10] = "strength"  # one strength day only
    rows = frame(days, readiness_score=np.linspace(60, 90, 40).round(),
                 had_workout=[k != "rest" for k in kinds],
                 disciplines=[[k] if k != "rest" else [] for k in kinds])
    rows = rows.drop(index=12)  # the day after day 11 (cycling) has no row
    result = workout_recovery.analyze(rows, period_of(days))
    cycling = next(g for g in result.groups if g.name == "cycling")
    assert days[11] not in cycling.days
    strength = next(c for c in result.comparisons if c.group == "strength")
    assert strength.n_group == 1 and not strength.sufficient
    assert any("Too few days to compare strength" in s for s in workout_recovery.narrate(result))


# -- 3. readiness trend -----------------------------------------------------------------------
def _calendar_mean(values: dict[date, float], day: date, window: int) -> float | None:
    inside = [v for d, v in values.items() if day - timedelta(days=window - 1) <= d <= day]
    return float(np.mean(inside)) if len(inside) >= math.ceil(window / 2) else None


def _trend_rows(seed: int, per_day: float, n: int = 90, drop: int = 8):
    rng = np.random.default_rng(seed)
    all_days = consecutive(n)
    readiness = (65 + per_day * np.arange(n) + rng.normal(0, 4, n)).round()
    keep = np.sort(rng.choice(np.arange(1, n - 1), size=n - 2 - drop, replace=False))
    keep = np.r_[0, keep, n - 1]  # gaps inside, the period's ends kept
    days = [all_days[i] for i in keep]
    return frame(days, readiness_score=readiness[keep]), all_days, days, readiness[keep]


def test_readiness_trend_finds_a_planted_rise_over_calendar_windows():
    rows, all_days, days, values = _trend_rows(seed=2, per_day=0.25)
    period = period_of(all_days)
    result = readiness_trend.analyze(rows, period)
    by_day = dict(zip(days, values.tolist(), strict=True))
    for point in result.points:  # means over calendar windows, gaps included
        assert point.mean_7d == pytest.approx(_calendar_mean(by_day, point.day, 7))
        assert point.mean_14d == pytest.approx(_calendar_mean(by_day, point.day, 14))
    fitted = [(d, _calendar_mean(by_day, d, 14)) for d in days]
    fitted = [(d, m) for d, m in fitted if m is not None]
    fit = stats.linregress([(d - period.start).days for d, _ in fitted], [m for _, m in fitted])
    daily = stats.linregress([(d - period.start).days for d in days], values)
    assert result.slope_per_week == pytest.approx(fit.slope * 7)
    assert result.intercept == pytest.approx(fit.intercept)
    assert result.p_value == pytest.approx(daily.pvalue)
    assert result.direction == "rising" and result.significant
    assert result.slope_per_week == pytest.approx(0.25 * 7, abs=0.6)
    assert "rising" in readiness_trend.narrate(result)[0]


def test_readiness_trend_finds_nothing_when_flat():
    rows, all_days, _, _ = _trend_rows(seed=4, per_day=0.0)
    result = readiness_trend.analyze(rows, period_of(all_days))
    assert result.p_value >= ALPHA and result.direction == "flat" and not result.significant
    assert "holds steady" in readiness_trend.narrate(result)[0]


def test_readiness_trend_small_n_concludes_nothing():
    days = consecutive(15)
    result = readiness_trend.analyze(frame(days, readiness_score=range(60, 75)), period_of(days))
    assert not result.sufficient and result.direction == "unknown" and not result.significant
    assert any("at least 21" in c for c in result.caveats)


# -- 4. anomalies -----------------------------------------------------------------------------
def _habit_rows():
    """8 weeks from a Monday; workouts Mon/Wed/Fri; planted low days and missed workouts."""
    days = consecutive(56, end=date(2025, 3, 30))  # a Sunday: the first day is a Monday
    assert days[0].weekday() == 0
    readiness = [70.0 + 2 * (i % 2) for i in range(56)]
    hrv = [50.0 + 2 * (i % 2) for i in range(56)]
    worked = [d.weekday() in (0, 2, 4) for d in days]
    return days, readiness, hrv, worked


def test_anomalies_flags_planted_low_days_and_missed_streaks():
    days, readiness, hrv, worked = _habit_rows()
    readiness[10] = readiness[30] = 45.0
    hrv[20] = 20.0
    week = 7
    worked[2 * week + 2] = worked[2 * week + 4] = False  # week 3: Wednesday and Friday
    worked[6 * week + 2] = False  # week 7: one Wednesday alone is not a streak
    rows = frame(days, readiness_score=readiness, hrv_avg=hrv, had_workout=worked,
                 disciplines=[["cycling"] if w else [] for w in worked])
    # week 5's Friday has no row at all (no workout, no ring), then Monday is missed too
    missing_friday, missed_monday = days[4 * week + 4], days[5 * week]
    rows.loc[rows["day"] == missed_monday, ["had_workout", "disciplines"]] = [False, None]
    rows = rows[rows["day"] != missing_friday]
    result = anomalies.analyze(rows, period_of(days))

    assert {a.day: a.low for a in result.anomaly_days} == {
        days[10]: ("readiness",), days[30]: ("readiness",), days[20]: ("hrv",)}
    kept = np.array([v for d, v in zip(days, readiness, strict=True) if d != missing_friday])
    z = (45.0 - kept.mean()) / kept.std(ddof=1)
    assert next(a for a in result.anomaly_days if a.day == days[10]).readiness_z == pytest.approx(z)
    assert result.statistic == 3
    assert result.effect_size == min(min(z for z in (a.readiness_z, a.hrv_z) if z is not None)
                                     for a in result.anomaly_days)
    assert [h.weekday for h in result.weekday_habits if h.usual] == [
        "Monday", "Wednesday", "Friday"]
    assert [s.missed for s in result.missed_streaks] == [
        (days[2 * week + 2], days[2 * week + 4]), (missing_friday, missed_monday)]
    text = " ".join(anomalies.narrate(result))
    assert "3 days fell more than 1.5 SD" in text and "2 streaks" in text


def test_anomalies_finds_nothing_in_steady_days():
    days, readiness, hrv, worked = _habit_rows()
    rows = frame(days, readiness_score=readiness, hrv_avg=hrv, had_workout=worked)
    result = anomalies.analyze(rows, period_of(days))
    assert result.sufficient and result.anomaly_days == () and result.missed_streaks == ()
    assert result.p_value is None and not result.significant  # descriptive: no test


def test_anomalies_small_n_flags_nothing():
    days = consecutive(10)
    readiness = [70.0, 72] * 4 + [30.0, 71]
    result = anomalies.analyze(frame(days, readiness_score=readiness, hrv_avg=readiness),
                               period_of(days))
    assert not result.sufficient and result.anomaly_days == ()
    assert any("at least 14" in c for c in result.caveats)
    assert "Too few days" in anomalies.narrate(result)[0]


# -- 5. intensity -----------------------------------------------------------------------------
def _output_rows(seed: int, cost: float, n: int = 150):
    rng = np.random.default_rng(seed)
    days = consecutive(n)
    kind = rng.choice(["rest", "cycling", "strength"], size=n, p=[0.4, 0.45, 0.15])
    output = np.where(kind == "cycling", rng.uniform(100, 600, n).round(), 0.0)
    readiness = np.r_[80.0, 92 - cost * output[:-1] + rng.normal(0, 4, n - 1)].round()
    rows = frame(days, readiness_score=readiness, had_workout=kind != "rest",
                 disciplines=[[k] if k != "rest" else [] for k in kind], total_output_kj=output)
    return rows, days, output, readiness


def test_intensity_finds_a_planted_cost_of_high_output():
    rows, days, output, readiness = _output_rows(seed=6, cost=0.04)
    result = intensity.analyze(rows, period_of(days))
    output_days = [i for i in range(len(days)) if output[i] > 0]
    split = np.median(output[output_days])
    high = [readiness[i + 1] for i in output_days if output[i] > split and i + 1 < len(days)]
    low = [readiness[i + 1] for i in output_days if output[i] <= split and i + 1 < len(days)]
    test = stats.mannwhitneyu(high, low, alternative="two-sided")
    assert result.split_kj == pytest.approx(split)
    assert result.output_days == len(output_days)  # strength days (0 kJ) are left out
    assert (result.high.next_day_readiness.n, result.low.next_day_readiness.n) == (
        len(high), len(low))
    assert result.statistic == pytest.approx(test.statistic)
    assert result.p_value == pytest.approx(test.pvalue)
    assert result.effect_size == pytest.approx(2 * test.statistic / (len(high) * len(low)) - 1)
    assert result.significant and result.effect_size < -0.3
    assert "lower" in intensity.narrate(result)[0]


def test_intensity_finds_nothing_when_output_costs_nothing():
    rows, days, _, _ = _output_rows(seed=9, cost=0.0)
    result = intensity.analyze(rows, period_of(days))
    assert result.sufficient and result.p_value >= ALPHA and not result.significant
    assert "cannot be told apart" in intensity.narrate(result)[0]


def test_intensity_small_n_concludes_nothing():
    days = consecutive(12)
    output = [500.0, 0, 100, 0, 600, 0, 150, 0, 550, 0, 120, 0]
    readiness = [80.0, 60, 80, 85, 80, 58, 80, 86, 80, 59, 80, 84]
    rows = frame(days, readiness_score=readiness, had_workout=[o > 0 for o in output],
                 disciplines=[["cycling"] if o else [] for o in output], total_output_kj=output)
    result = intensity.analyze(rows, period_of(days))
    assert result.n == 6 and not result.sufficient and not result.significant
    assert "no conclusion" in intensity.narrate(result)[0]


# -- figures, JSON, empty periods --------------------------------------------------------------
def test_figures_have_the_expected_traces():
    rows, days, _, _ = _output_rows(seed=6, cost=0.04)
    rows["sleep_score"] = np.random.default_rng(1).normal(75, 8, len(days)).round()
    results = {i.analyzer.name: i for i in run_all(rows, period_of(days))}

    def figure(name: str):
        insight = results[name]
        return insight.analyzer.visualize(insight.result)

    assert trace_names(figure("sleep_readiness")) == ["nights", "linear fit"]
    boxes = figure("workout_recovery")
    assert {t.type for t in boxes.data} == {"box"}
    assert trace_names(boxes) == ["cycling", "strength", "rest day"]  # no "other" day here
    assert trace_names(figure("readiness_trend")) == [
        "daily readiness", "7-day mean", "14-day mean", "trend of the 14-day mean"]
    assert trace_names(figure("anomalies")) == [
        "readiness", "low readiness (< -1.5 SD)", "HRV", "low HRV (< -1.5 SD)",
        "missed usual workout (streak)"]
    bars = figure("intensity")
    assert trace_names(bars) == ["low output", "high output"]
    assert bars.layout.barmode == "group" and {t.type for t in bars.data} == {"bar"}
    assert bars.layout.template.layout.paper_bgcolor == "#111418"  # the shared dark theme


@pytest.mark.parametrize("analyzer", ANALYZERS, ids=lambda a: a.name)
def test_every_analyzer_handles_an_empty_period(analyzer):
    result = analyzer.analyze(frame([]), Period.ending(END, 30))
    assert result.n == 0 and not result.sufficient and not result.significant
    assert analyzer.narrate(result)
    assert analyzer.visualize(result).layout.annotations  # "nothing to plot" note
    json.dumps(result.to_json())


def test_results_are_json():
    rows, days, _, _ = _output_rows(seed=6, cost=0.04)
    for insight in run_all(rows, period_of(days)):
        data = json.loads(json.dumps(insight.result.to_json()))
        assert {"statistic", "p_value", "effect_size", "n", "period", "caveats",
                "significant"} <= set(data)
        assert data["period"]["end"] == days[-1].isoformat()


def test_the_query_is_read_only_and_quotes_the_person():
    sql = daily_rows_sql("o'brien", Period.ending(END, 30))
    assert "'o''brien'" in sql and "CAST('2025-03-02' AS DATE)" in sql
    check_read_only(sql, {"gold.daily_readiness_performance"})


# -- the command -------------------------------------------------------------------------------
def test_biolake_insights_json_on_a_tiny_lake(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from deltalake import write_deltalake

    from biolake.cli import cli

    for name in [k for k in __import__("os").environ if k.startswith("BIOLAKE_")]:
        monkeypatch.delenv(name)
    days = consecutive(40)
    rows = gold_rows("me", days, seed=1) + gold_rows("someone_else", days, seed=2)
    table = tmp_path / "lake" / "gold" / "daily_readiness_performance"
    write_deltalake(str(table), pa.Table.from_pylist(rows, schema=GOLD_SCHEMA))

    run = CliRunner().invoke(cli, ["--home", str(tmp_path), "--as-of", END.isoformat(),
                                   "insights", "--format", "json", "--days", "30"])
    assert run.exit_code == 0, run.output
    document = json.loads(run.output)
    assert document["person_id"] == "me" and document["engine"] == "duckdb"
    assert document["period"] == {"start": "2025-03-02", "end": "2025-03-31", "days": 30}
    assert document["rows"] == 30  # one person, the period only
    assert list(document["insights"]) == [a.name for a in ANALYZERS]
    for name, insight in document["insights"].items():
        assert insight["analyzer"] == name and insight["narrative"]
        assert {"statistic", "p_value", "effect_size", "n", "caveats"} <= set(insight)
    sleep = document["insights"]["sleep_readiness"]
    mine = [r for r in rows if r["person_id"] == "me" and r["day"] >= date(2025, 3, 2)]
    expected = stats.pearsonr([r["sleep_score"] for r in mine[:-1]],
                              [r["readiness_score"] for r in mine[1:]])
    assert sleep["n"] == 29 and sleep["p_value"] == pytest.approx(expected.pvalue)
