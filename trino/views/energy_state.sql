-- energy_state: one row per person per day with a readiness score.
--
-- energy_state   peak             readiness >= 85, sleep >= 88 and HRV balance >= 75
--                high             readiness >= 85 and sleep >= 80
--                moderate         readiness >= 70 and sleep >= 65
--                low              readiness >= 50
--                recovery_needed  otherwise
-- guidance       one sentence for the state
-- output_zone    from readiness_to_output_ratio: > 4.0 overreaching, >= 2.5 high_performance,
--                >= 1.5 moderate, > 0 undertrained, otherwise (no output) no_workout
-- readiness_3d_avg, sleep_3d_avg, output_3d_avg   days in [day - 2, day] that have a value
-- readiness_change, sleep_change                  against day - 1 (NULL when it has no data)
--
-- RANGE frames over the DATE `day` are calendar ranges: [day - 2, day] for the averages and
-- exactly day - 1 for the previous day (empty when that day has no row); one scan.
WITH windowed AS (
    SELECT
        d.*,
        avg(d.readiness_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '2' DAY PRECEDING AND CURRENT ROW) AS readiness_3d_avg,
        avg(d.sleep_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '2' DAY PRECEDING AND CURRENT ROW) AS sleep_3d_avg,
        avg(d.total_output_kj) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '2' DAY PRECEDING AND CURRENT ROW) AS output_3d_avg,
        max(d.readiness_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND INTERVAL '1' DAY PRECEDING) AS previous_readiness_score,
        max(d.sleep_score) OVER (PARTITION BY d.person_id ORDER BY d.day
            RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND INTERVAL '1' DAY PRECEDING) AS previous_sleep_score
    FROM lake.daily_readiness_performance d
),
base AS (
    SELECT
        d.*,
        CASE
            WHEN d.readiness_score >= 85 AND d.sleep_score >= 88 AND d.hrv_balance >= 75 THEN 'peak'
            WHEN d.readiness_score >= 85 AND d.sleep_score >= 80 THEN 'high'
            WHEN d.readiness_score >= 70 AND d.sleep_score >= 65 THEN 'moderate'
            WHEN d.readiness_score >= 50 THEN 'low'
            ELSE 'recovery_needed'
        END AS energy_state
    FROM windowed d
    WHERE d.readiness_score IS NOT NULL
)
SELECT
    b.person_id,
    b.day,
    b.readiness_score,
    b.sleep_score,
    b.hrv_balance,
    b.total_output_kj,
    b.readiness_to_output_ratio,
    b.energy_state,
    CASE b.energy_state
        WHEN 'peak' THEN 'Peak energy: schedule your hardest session today.'
        WHEN 'high' THEN 'High energy: a good day for quality training.'
        WHEN 'moderate' THEN 'Moderate energy: train, but keep the intensity in check.'
        WHEN 'low' THEN 'Low energy: choose light movement and recovery.'
        ELSE 'Recovery needed: rest and prioritise sleep.'
    END AS guidance,
    CASE
        WHEN b.readiness_to_output_ratio > 4.0 THEN 'overreaching'
        WHEN b.readiness_to_output_ratio >= 2.5 THEN 'high_performance'
        WHEN b.readiness_to_output_ratio >= 1.5 THEN 'moderate'
        WHEN b.readiness_to_output_ratio > 0 THEN 'undertrained'
        ELSE 'no_workout'
    END AS output_zone,
    b.readiness_3d_avg,
    b.sleep_3d_avg,
    b.output_3d_avg,
    b.readiness_score - b.previous_readiness_score AS readiness_change,
    b.sleep_score - b.previous_sleep_score AS sleep_change
FROM base b
