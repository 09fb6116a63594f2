-- The Overview's trend panel: one person's gold daily rows from :first_day to :last_day (the
-- period plus six days before it, so the first 7-day mean sees its whole week). The anomaly
-- analysis reads readiness_score, hrv_avg and had_workout from the same rows.
-- :person_id, :first_day and :last_day are filled in by sqlglot.
SELECT
    day,
    readiness_score,
    sleep_score,
    hrv_avg,
    resting_hr,
    total_output_kj,
    workout_minutes,
    had_workout
FROM gold.daily_readiness_performance
WHERE person_id = :person_id
  AND day BETWEEN :first_day AND :last_day
ORDER BY day
