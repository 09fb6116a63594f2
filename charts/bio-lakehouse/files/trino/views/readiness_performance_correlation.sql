-- readiness_performance_correlation: one row per person and segment, over workout days with
-- output (total_output_kj > 0).
--
-- segment          'All Days', 'High Readiness (85+)', 'Low Readiness (<70)'
-- sample_size      the days in the segment
-- readiness_output_correlation, sleep_output_correlation, hrv_balance_output_correlation,
-- sleep_readiness_correlation
--                  Pearson r over the days where both values exist (NULL when fewer than 2
--                  pairs or no variance); judge them together with sample_size. Scores are
--                  cast to DOUBLE: on integers Trino would pick corr(REAL, REAL)
-- avg_readiness, avg_sleep, avg_output_kj, avg_watts
WITH workout_days AS (
    SELECT *
    FROM lake.daily_readiness_performance
    WHERE total_output_kj > 0
),
segmented AS (
    SELECT 'All Days' AS segment, w.* FROM workout_days w
    UNION ALL
    SELECT 'High Readiness (85+)' AS segment, w.* FROM workout_days w WHERE w.readiness_score >= 85
    UNION ALL
    SELECT 'Low Readiness (<70)' AS segment, w.* FROM workout_days w WHERE w.readiness_score < 70
)
SELECT
    person_id,
    segment,
    count(*) AS sample_size,
    corr(CAST(readiness_score AS DOUBLE), total_output_kj) AS readiness_output_correlation,
    corr(CAST(sleep_score AS DOUBLE), total_output_kj) AS sleep_output_correlation,
    corr(CAST(hrv_balance AS DOUBLE), total_output_kj) AS hrv_balance_output_correlation,
    corr(CAST(sleep_score AS DOUBLE), CAST(readiness_score AS DOUBLE)) AS sleep_readiness_correlation,
    avg(readiness_score) AS avg_readiness,
    avg(sleep_score) AS avg_sleep,
    avg(total_output_kj) AS avg_output_kj,
    avg(avg_watts) AS avg_watts
FROM segmented
GROUP BY person_id, segment
