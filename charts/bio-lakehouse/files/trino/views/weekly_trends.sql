-- weekly_trends: one row per person per week (weeks start on Monday).
--
-- week_start, days_with_data, workout_days
-- avg_readiness, avg_sleep, avg_wellness (combined_wellness_score)
-- total_output_kj, total_workout_calories, total_steps, total_active_calories
-- readiness_change, output_change_kj   against the previous calendar week (NULL without one)
-- trend   improving     readiness and output both up
--         declining     both down
--         overreaching  readiness down, output up
--         recovering    readiness up, output down
--         stable        anything else (no change, or no previous week)
WITH weeks AS (
    SELECT
        person_id,
        CAST(date_trunc('week', day) AS DATE) AS week_start,
        count(*) AS days_with_data,
        count_if(had_workout) AS workout_days,
        avg(readiness_score) AS avg_readiness,
        avg(sleep_score) AS avg_sleep,
        avg(combined_wellness_score) AS avg_wellness,
        sum(total_output_kj) AS total_output_kj,
        sum(workout_calories) AS total_workout_calories,
        sum(steps) AS total_steps,
        sum(active_calories) AS total_active_calories
    FROM lake.daily_readiness_performance
    GROUP BY person_id, CAST(date_trunc('week', day) AS DATE)
),
compared AS (
    SELECT
        w.*,
        w.avg_readiness - p.avg_readiness AS readiness_change,
        w.total_output_kj - p.total_output_kj AS output_change_kj
    FROM weeks w
    LEFT JOIN weeks p
      ON p.person_id = w.person_id
     AND p.week_start = w.week_start - INTERVAL '7' DAY
)
SELECT
    person_id,
    week_start,
    days_with_data,
    workout_days,
    avg_readiness,
    avg_sleep,
    avg_wellness,
    total_output_kj,
    total_workout_calories,
    total_steps,
    total_active_calories,
    readiness_change,
    output_change_kj,
    CASE
        WHEN readiness_change > 0 AND output_change_kj > 0 THEN 'improving'
        WHEN readiness_change < 0 AND output_change_kj < 0 THEN 'declining'
        WHEN readiness_change < 0 AND output_change_kj > 0 THEN 'overreaching'
        WHEN readiness_change > 0 AND output_change_kj < 0 THEN 'recovering'
        ELSE 'stable'
    END AS trend
FROM compared
