-- question: What were my 3 highest output days last month?
-- relation: daily_readiness_performance
-- rationale: top 3 days by total_output_kj in February 2025 (the previous calendar month)
-- answer_template: Your highest output last month was {total_output_kj} kJ on {day}.
SELECT day, total_output_kj
FROM daily_readiness_performance
WHERE person_id = 'me'
  AND day BETWEEN DATE '2025-02-01' AND DATE '2025-02-28'
  AND total_output_kj > 0
ORDER BY total_output_kj DESC, day
LIMIT 3
