-- "Best workout type when readiness is below 70 / 85 or higher": the view's own readiness
-- buckets, ranked by average output (kJ), the original system's measure of a good session.
SELECT workout_type, sample_days, avg_output_kj
FROM workout_type_optimization
WHERE :conditions
ORDER BY avg_output_kj DESC, workout_type
