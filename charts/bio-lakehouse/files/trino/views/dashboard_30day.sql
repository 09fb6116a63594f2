-- dashboard_30day: one row per person per day among the 30 calendar days ending at that
-- person's latest day with data.
--
-- The core measures of daily_readiness_performance, plus rolling averages over calendar
-- ranges (days in the range that have a value; missing days do not shift the window):
-- readiness_7d_avg, sleep_7d_avg, output_7d_avg   days in [day - 6, day]
-- readiness_30d_avg, sleep_30d_avg                days in [day - 29, day]
-- latest_day                                      the person's latest day with data
WITH latest AS (
    SELECT person_id, max(day) AS latest_day
    FROM lake.daily_readiness_performance
    GROUP BY person_id
),
shown AS (
    SELECT d.*, l.latest_day
    FROM lake.daily_readiness_performance d
    JOIN latest l ON l.person_id = d.person_id
    WHERE d.day > l.latest_day - INTERVAL '30' DAY
),
rolled AS (
    SELECT
        s.person_id,
        s.day,
        avg(CASE WHEN w.day >= s.day - INTERVAL '6' DAY THEN w.readiness_score END) AS readiness_7d_avg,
        avg(CASE WHEN w.day >= s.day - INTERVAL '6' DAY THEN w.sleep_score END) AS sleep_7d_avg,
        avg(CASE WHEN w.day >= s.day - INTERVAL '6' DAY THEN w.total_output_kj END) AS output_7d_avg,
        avg(w.readiness_score) AS readiness_30d_avg,
        avg(w.sleep_score) AS sleep_30d_avg
    FROM shown s
    JOIN lake.daily_readiness_performance w
      ON w.person_id = s.person_id
     AND w.day BETWEEN s.day - INTERVAL '29' DAY AND s.day
    GROUP BY s.person_id, s.day
)
SELECT
    s.person_id,
    s.day,
    s.readiness_score,
    s.sleep_score,
    s.activity_score,
    s.hrv_avg,
    s.resting_hr,
    s.total_sleep_hours,
    s.steps,
    s.workout_count,
    s.workout_minutes,
    s.total_output_kj,
    s.avg_watts,
    s.readiness_to_output_ratio,
    s.combined_wellness_score,
    r.readiness_7d_avg,
    r.sleep_7d_avg,
    r.output_7d_avg,
    r.readiness_30d_avg,
    r.sleep_30d_avg,
    s.latest_day
FROM shown s
JOIN rolled r ON r.person_id = s.person_id AND r.day = s.day
