-- "How does my sleep quality affect the next day?": the view's sleep-quality classes against
-- the average of a next-day measure.
SELECT sleep_quality, count(*) AS nights, avg(:next_day_measure) AS next_day_average
FROM sleep_performance_prediction
WHERE :conditions
GROUP BY sleep_quality
ORDER BY min(sleep_score) DESC
