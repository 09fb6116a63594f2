-- workout_type_optimization: one row per person, readiness bucket and workout type, over days
-- with a workout and a readiness score; only groups with at least 2 sample days.
--
-- readiness_bucket  'High (85+)', 'Medium (70-84)', 'Low (<70)'
-- workout_type      from the day's disciplines, recovery = yoga, stretching, meditation:
--                   'cycling + strength'  both cycling and strength
--                   'cycling only'        cycling and nothing else but recovery
--                   'strength only'       strength and nothing else but recovery
--                   'recovery'            recovery disciplines only
--                   'other'               anything else
-- sample_days, avg_output_kj, avg_watts, avg_calories, avg_workout_minutes, avg_max_hr,
-- avg_readiness_to_output_ratio, avg_readiness, avg_sleep
WITH typed AS (
    SELECT
        d.*,
        contains(d.disciplines, 'cycling') AS has_cycling,
        contains(d.disciplines, 'strength') AS has_strength,
        cardinality(d.disciplines)
            - (CASE WHEN contains(d.disciplines, 'yoga') THEN 1 ELSE 0 END)
            - (CASE WHEN contains(d.disciplines, 'stretching') THEN 1 ELSE 0 END)
            - (CASE WHEN contains(d.disciplines, 'meditation') THEN 1 ELSE 0 END) AS main_disciplines
    FROM lake.daily_readiness_performance d
    WHERE d.had_workout AND d.readiness_score IS NOT NULL
),
classified AS (
    SELECT
        t.*,
        CASE
            WHEN t.readiness_score >= 85 THEN 'High (85+)'
            WHEN t.readiness_score >= 70 THEN 'Medium (70-84)'
            ELSE 'Low (<70)'
        END AS readiness_bucket,
        CASE
            WHEN t.has_cycling AND t.has_strength THEN 'cycling + strength'
            WHEN t.has_cycling AND t.main_disciplines = 1 THEN 'cycling only'
            WHEN t.has_strength AND t.main_disciplines = 1 THEN 'strength only'
            WHEN t.main_disciplines = 0 THEN 'recovery'
            ELSE 'other'
        END AS workout_type
    FROM typed t
)
SELECT
    person_id,
    readiness_bucket,
    workout_type,
    count(*) AS sample_days,
    avg(total_output_kj) AS avg_output_kj,
    avg(avg_watts) AS avg_watts,
    avg(workout_calories) AS avg_calories,
    avg(workout_minutes) AS avg_workout_minutes,
    avg(max_avg_hr) AS avg_max_hr,
    avg(readiness_to_output_ratio) AS avg_readiness_to_output_ratio,
    avg(readiness_score) AS avg_readiness,
    avg(sleep_score) AS avg_sleep
FROM classified
GROUP BY person_id, readiness_bucket, workout_type
HAVING count(*) >= 2
