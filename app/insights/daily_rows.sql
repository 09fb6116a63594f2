-- The rows the insight analyzers read: one person's gold.daily_readiness_performance days in
-- an inclusive period. :person_id, :first_day and :last_day are filled in by sqlglot
-- (app/insights/loader.py) as quoted literals, never by string formatting.
SELECT
    day,
    readiness_score,
    sleep_score,
    hrv_avg,
    had_workout,
    disciplines,
    total_output_kj
FROM gold.daily_readiness_performance
WHERE person_id = :person_id
  AND day BETWEEN :first_day AND :last_day
