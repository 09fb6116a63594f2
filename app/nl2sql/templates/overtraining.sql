-- "Am I overtraining?": the overtraining view's verdict for each day of the span, latest first.
SELECT day, readiness_score, workout_days_last_3, overtraining_risk
FROM overtraining_risk
WHERE :conditions
ORDER BY day DESC
