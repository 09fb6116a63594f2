-- "Should I work out today?": the latest recommendation on or before the day asked about.
SELECT day, readiness_score, sleep_score, recommended_intensity, recommendation
FROM workout_recommendations
WHERE :conditions
ORDER BY day DESC
LIMIT 1
