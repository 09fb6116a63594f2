-- question: Which workout type gives me the most output when my readiness is between 70 and 84?
-- relation: workout_type_optimization
-- rationale: the view's 'Medium (70-84)' readiness bucket, workout types ranked by average output
-- answer_template: With medium readiness your best workout type is {workout_type} ({avg_output_kj} kJ on average).
SELECT workout_type, sample_days, avg_output_kj
FROM workout_type_optimization
WHERE person_id = 'me'
  AND readiness_bucket = 'Medium (70-84)'
ORDER BY avg_output_kj DESC, workout_type
