-- "What's my energy state today?": the latest energy state on or before the day asked about.
SELECT day, readiness_score, sleep_score, energy_state, guidance
FROM energy_state
WHERE :conditions
ORDER BY day DESC
LIMIT 1
