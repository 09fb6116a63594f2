-- "What was my weekly trend last week?": one row of weekly_trends (weeks start on Monday).
SELECT week_start, avg_readiness, readiness_change, total_output_kj, output_change_kj, trend
FROM weekly_trends
WHERE :conditions
