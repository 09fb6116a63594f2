-- question: Does a good night's sleep lead to a higher readiness the next day?
-- relation: sleep_performance_prediction
-- rationale: Pearson r between the sleep score of night d and readiness on calendar day d + 1
-- answer_template: The correlation between your sleep score and the next day's readiness is {correlation} over {nights} nights.
SELECT corr(CAST(sleep_score AS DOUBLE), CAST(next_day_readiness AS DOUBLE)) AS correlation,
       count(next_day_readiness) AS nights
FROM sleep_performance_prediction
WHERE person_id = 'me'
  AND next_day <= DATE '2025-03-31'
