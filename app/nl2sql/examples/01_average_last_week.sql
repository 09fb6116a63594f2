-- question: What was my average sleep score last week?
-- relation: daily_readiness_performance
-- rationale: average of sleep_score over last calendar week, Monday 2025-03-24 to Sunday 2025-03-30
-- answer_template: Your average sleep score last week was {avg_sleep_score}.
SELECT avg(sleep_score) AS avg_sleep_score
FROM daily_readiness_performance
WHERE person_id = 'me'
  AND day BETWEEN DATE '2025-03-24' AND DATE '2025-03-30'
