-- workout_recommendations: one row per person per day with a readiness score.
--
-- readiness_3d_avg          readiness over the days in [day - 2, day] that have one
-- recommended_intensity     high_intensity      readiness >= 85 and sleep >= 80
--                           moderate_intensity  readiness >= 70 and sleep >= 65
--                           low_intensity       readiness >= 50
--                           rest_day            otherwise (also when sleep is unknown and
--                                               readiness < 50)
-- recommendation            one sentence saying what to do
-- previous_day_output_kj, previous_day_workout_count, previous_day_workout_minutes
--                           from day - 1 (NULL when that calendar day has no data)
--
-- RANGE frames over the DATE `day` are calendar ranges: [day - 2, day] for the averages and
-- exactly day - 1 for the previous day (empty when that day has no row); one scan.
WITH windowed AS (
    SELECT
        d.person_id,
        d.day,
        d.readiness_score,
        d.sleep_score,
        avg(d.readiness_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '2' DAY PRECEDING AND CURRENT ROW) AS readiness_3d_avg,
        max(d.total_output_kj) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND INTERVAL '1' DAY PRECEDING) AS previous_day_output_kj,
        max(d.workout_count) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND INTERVAL '1' DAY PRECEDING) AS previous_day_workout_count,
        max(d.workout_minutes) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND INTERVAL '1' DAY PRECEDING) AS previous_day_workout_minutes
    FROM lake.daily_readiness_performance d
),
base AS (
    SELECT
        d.*,
        CASE
            WHEN d.readiness_score >= 85 AND d.sleep_score >= 80 THEN 'high_intensity'
            WHEN d.readiness_score >= 70 AND d.sleep_score >= 65 THEN 'moderate_intensity'
            WHEN d.readiness_score >= 50 THEN 'low_intensity'
            ELSE 'rest_day'
        END AS recommended_intensity
    FROM windowed d
    WHERE d.readiness_score IS NOT NULL
)
SELECT
    b.person_id,
    b.day,
    b.readiness_score,
    b.sleep_score,
    b.readiness_3d_avg,
    b.recommended_intensity,
    CASE b.recommended_intensity
        WHEN 'high_intensity' THEN 'Fully recovered: a good day for intervals, a PR attempt or a long hard ride.'
        WHEN 'moderate_intensity' THEN 'Recovered enough for a steady endurance ride or a strength session.'
        WHEN 'low_intensity' THEN 'Keep it easy today: a low-impact ride, stretching or yoga.'
        ELSE 'Rest today: sleep, walk, and let your body recover.'
    END AS recommendation,
    b.previous_day_output_kj,
    b.previous_day_workout_count,
    b.previous_day_workout_minutes
FROM base b
