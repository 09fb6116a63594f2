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
WITH base AS (
    SELECT
        d.person_id,
        d.day,
        d.readiness_score,
        d.sleep_score,
        d.hrv_balance,
        CASE
            WHEN d.readiness_score >= 85 AND d.sleep_score >= 80 THEN 'high_intensity'
            WHEN d.readiness_score >= 70 AND d.sleep_score >= 65 THEN 'moderate_intensity'
            WHEN d.readiness_score >= 50 THEN 'low_intensity'
            ELSE 'rest_day'
        END AS recommended_intensity
    FROM lake.daily_readiness_performance d
    WHERE d.readiness_score IS NOT NULL
),
recent AS (
    SELECT b.person_id, b.day, avg(w.readiness_score) AS readiness_3d_avg
    FROM base b
    JOIN lake.daily_readiness_performance w
      ON w.person_id = b.person_id
     AND w.day BETWEEN b.day - INTERVAL '2' DAY AND b.day
    GROUP BY b.person_id, b.day
)
SELECT
    b.person_id,
    b.day,
    b.readiness_score,
    b.sleep_score,
    r.readiness_3d_avg,
    b.recommended_intensity,
    CASE b.recommended_intensity
        WHEN 'high_intensity' THEN 'Fully recovered: a good day for intervals, a PR attempt or a long hard ride.'
        WHEN 'moderate_intensity' THEN 'Recovered enough for a steady endurance ride or a strength session.'
        WHEN 'low_intensity' THEN 'Keep it easy today: a low-impact ride, stretching or yoga.'
        ELSE 'Rest today: sleep, walk, and let your body recover.'
    END AS recommendation,
    p.total_output_kj AS previous_day_output_kj,
    p.workout_count AS previous_day_workout_count,
    p.workout_minutes AS previous_day_workout_minutes
FROM base b
JOIN recent r ON r.person_id = b.person_id AND r.day = b.day
LEFT JOIN lake.daily_readiness_performance p
  ON p.person_id = b.person_id
 AND p.day = b.day - INTERVAL '1' DAY
