-- overtraining_risk: one row per person per day with a readiness score.
--
-- readiness_vs_3d_baseline   readiness minus the average of days [day - 3, day - 1] that have one
-- workout_days_last_3        days with a workout in [day - 2, day]
-- hrv_30d_baseline           average hrv_avg over [day - 30, day - 1]; hrv_vs_baseline_pct the
--                            day's HRV against it, in percent
-- overtraining_risk  high_risk      readiness < 65 and lower than on each of day - 1 and day - 2
--                    moderate_risk  readiness < 70 with 3 workout days in the last 3,
--                                   or readiness_to_output_ratio > 4.0
--                    low_risk       otherwise
-- guidance           one sentence for the risk level
WITH scored AS (
    SELECT d.person_id, d.day, d.readiness_score, d.hrv_avg, d.readiness_to_output_ratio, d.had_workout
    FROM lake.daily_readiness_performance d
    WHERE d.readiness_score IS NOT NULL
),
context AS (
    SELECT
        s.person_id,
        s.day,
        avg(CASE WHEN w.day < s.day AND w.day >= s.day - INTERVAL '3' DAY THEN w.readiness_score END)
            AS readiness_3d_baseline,
        count(CASE WHEN w.day >= s.day - INTERVAL '2' DAY AND w.had_workout THEN 1 END) AS workout_days_last_3,
        avg(CASE WHEN w.day < s.day THEN w.hrv_avg END) AS hrv_30d_baseline,
        max(CASE WHEN w.day = s.day - INTERVAL '1' DAY THEN w.readiness_score END) AS readiness_day_minus_1,
        max(CASE WHEN w.day = s.day - INTERVAL '2' DAY THEN w.readiness_score END) AS readiness_day_minus_2
    FROM scored s
    JOIN lake.daily_readiness_performance w
      ON w.person_id = s.person_id
     AND w.day BETWEEN s.day - INTERVAL '30' DAY AND s.day
    GROUP BY s.person_id, s.day
),
assessed AS (
    SELECT
        s.*,
        c.readiness_3d_baseline,
        c.workout_days_last_3,
        c.hrv_30d_baseline,
        c.readiness_day_minus_1,
        c.readiness_day_minus_2,
        CASE
            WHEN s.readiness_score < 65
             AND s.readiness_score < c.readiness_day_minus_1
             AND s.readiness_score < c.readiness_day_minus_2 THEN 'high_risk'
            WHEN (s.readiness_score < 70 AND c.workout_days_last_3 = 3)
              OR s.readiness_to_output_ratio > 4.0 THEN 'moderate_risk'
            ELSE 'low_risk'
        END AS overtraining_risk
    FROM scored s
    JOIN context c ON c.person_id = s.person_id AND c.day = s.day
)
SELECT
    person_id,
    day,
    readiness_score,
    readiness_score - readiness_3d_baseline AS readiness_vs_3d_baseline,
    workout_days_last_3,
    readiness_to_output_ratio,
    hrv_avg,
    hrv_30d_baseline,
    100.0 * (hrv_avg - hrv_30d_baseline) / nullif(hrv_30d_baseline, 0) AS hrv_vs_baseline_pct,
    overtraining_risk,
    CASE overtraining_risk
        WHEN 'high_risk' THEN 'Readiness is falling day after day: take a rest day and sleep more.'
        WHEN 'moderate_risk' THEN 'Training load is high for your recovery: make tomorrow easy.'
        ELSE 'Recovery keeps up with training: carry on.'
    END AS guidance
FROM assessed
