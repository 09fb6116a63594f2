-- Pearson r between a measure on day d and a measure on day d + 1 (the next calendar date,
-- never the next row), with the number of day pairs it rests on.
SELECT
    corr(CAST(:day_measure AS DOUBLE), CAST(:next_day_measure AS DOUBLE)) AS correlation,
    count(*) AS day_pairs
FROM daily_readiness_performance AS d
JOIN daily_readiness_performance AS n
  ON n.person_id = d.person_id
 AND n.day = d.day + INTERVAL '1' DAY
WHERE :conditions
