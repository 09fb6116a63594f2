-- The Overview's "today": the person's latest day with data on or before :today, its energy
-- state and the workout recommendation. :person_id and :today are filled in by sqlglot.
SELECT
    e.day,
    e.readiness_score,
    e.sleep_score,
    e.energy_state,
    e.guidance,
    w.recommended_intensity,
    w.recommendation
FROM gold.energy_state e
LEFT JOIN gold.workout_recommendations w ON w.person_id = e.person_id AND w.day = e.day
WHERE e.person_id = :person_id
  AND e.day <= :today
ORDER BY e.day DESC
LIMIT 1
