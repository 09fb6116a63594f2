-- dashboard_30day: one row per person per day among the 30 calendar days ending at that
-- person's latest day with data.
--
-- The core measures of daily_readiness_performance, plus rolling averages over calendar
-- ranges (days in the range that have a value; missing days do not shift the window):
-- readiness_7d_avg, sleep_7d_avg, output_7d_avg   days in [day - 6, day]
-- readiness_30d_avg, sleep_30d_avg                days in [day - 29, day]
-- latest_day                                      the person's latest day with data
--
-- RANGE frames over the DATE `day` are calendar ranges (a ROWS frame would stretch across
-- missing days); one scan of the table, windowed, then the last 30 days kept.
WITH rolled AS (
    SELECT
        d.*,
        max(d.day) OVER (PARTITION BY d.person_id) AS latest_day,
        avg(d.readiness_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '6' DAY PRECEDING AND CURRENT ROW) AS readiness_7d_avg,
        avg(d.sleep_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '6' DAY PRECEDING AND CURRENT ROW) AS sleep_7d_avg,
        avg(d.total_output_kj) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '6' DAY PRECEDING AND CURRENT ROW) AS output_7d_avg,
        avg(d.readiness_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '29' DAY PRECEDING AND CURRENT ROW) AS readiness_30d_avg,
        avg(d.sleep_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '29' DAY PRECEDING AND CURRENT ROW) AS sleep_30d_avg
    FROM lake.daily_readiness_performance d
)
SELECT
    person_id,
    day,
    readiness_score,
    sleep_score,
    activity_score,
    hrv_avg,
    resting_hr,
    total_sleep_hours,
    steps,
    workout_count,
    workout_minutes,
    total_output_kj,
    avg_watts,
    readiness_to_output_ratio,
    combined_wellness_score,
    readiness_7d_avg,
    sleep_7d_avg,
    output_7d_avg,
    readiness_30d_avg,
    sleep_30d_avg,
    latest_day
FROM rolled
WHERE day > latest_day - INTERVAL '30' DAY
