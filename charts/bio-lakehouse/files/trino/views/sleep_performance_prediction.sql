-- sleep_performance_prediction: one row per person per night, pairing the sleep score of
-- day d with what happened on day d + 1 (the next calendar date, never the next row; nights
-- whose next day has no data are left out).
--
-- day, sleep_score, total_sleep_hours                 the night (Oura's day d)
-- next_day, next_day_readiness, next_day_output_kj, next_day_avg_watts,
-- next_day_had_workout, next_day_disciplines          day d + 1
-- sleep_quality   'Excellent (88+)', 'Good (75-87)', 'Fair (60-74)', 'Poor (<60)'
-- sleep_to_readiness_ratio = next_day_readiness / sleep_score
SELECT
    s.person_id,
    s.day,
    s.sleep_score,
    s.total_sleep_hours,
    n.day AS next_day,
    n.readiness_score AS next_day_readiness,
    n.total_output_kj AS next_day_output_kj,
    n.avg_watts AS next_day_avg_watts,
    n.had_workout AS next_day_had_workout,
    n.disciplines AS next_day_disciplines,
    CASE
        WHEN s.sleep_score >= 88 THEN 'Excellent (88+)'
        WHEN s.sleep_score >= 75 THEN 'Good (75-87)'
        WHEN s.sleep_score >= 60 THEN 'Fair (60-74)'
        ELSE 'Poor (<60)'
    END AS sleep_quality,
    CAST(n.readiness_score AS DOUBLE) / nullif(s.sleep_score, 0) AS sleep_to_readiness_ratio
FROM lake.daily_readiness_performance s
JOIN lake.daily_readiness_performance n
  ON n.person_id = s.person_id
 AND n.day = s.day + INTERVAL '1' DAY
WHERE s.sleep_score IS NOT NULL
