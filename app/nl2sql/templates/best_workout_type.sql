-- "Best workout type when readiness is below X" for any X: the workout types of
-- workout_type_optimization (same rules, same minimum of 2 sample days), over the days whose
-- readiness meets the condition, ranked by average output (kJ).
WITH typed AS (
    SELECT
        total_output_kj,
        CASE
            WHEN contains(disciplines, 'cycling') AND contains(disciplines, 'strength')
                THEN 'cycling + strength'
            WHEN contains(disciplines, 'cycling') AND cardinality(filter(
                disciplines, x -> x NOT IN ('yoga', 'stretching', 'meditation'))) = 1
                THEN 'cycling only'
            WHEN contains(disciplines, 'strength') AND cardinality(filter(
                disciplines, x -> x NOT IN ('yoga', 'stretching', 'meditation'))) = 1
                THEN 'strength only'
            WHEN cardinality(filter(
                disciplines, x -> x NOT IN ('yoga', 'stretching', 'meditation'))) = 0
                THEN 'recovery'
            ELSE 'other'
        END AS workout_type
    FROM daily_readiness_performance
    WHERE had_workout AND :conditions
)
SELECT workout_type, count(*) AS sample_days, avg(total_output_kj) AS avg_output_kj
FROM typed
GROUP BY workout_type
HAVING count(*) >= 2
ORDER BY avg_output_kj DESC, workout_type
