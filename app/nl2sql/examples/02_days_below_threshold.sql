-- question: Show me the days in February when my HRV was below 55
-- relation: daily_readiness_performance
-- rationale: days of February 2025 with hrv_avg < 55, in date order
-- answer_template: Your HRV was below 55 on {row_count} days in February.
SELECT day, hrv_avg
FROM daily_readiness_performance
WHERE person_id = 'me'
  AND day BETWEEN DATE '2025-02-01' AND DATE '2025-02-28'
  AND hrv_avg < 55
ORDER BY day
