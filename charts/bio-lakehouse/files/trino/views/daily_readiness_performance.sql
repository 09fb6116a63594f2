-- daily_readiness_performance: the core gold table (built by Spark), one row per person per
-- local day with any data, exposed with a stable column contract.
--
-- person_id, day (DATE, the person's local calendar; Oura's own day for Oura documents)
-- readiness_score, sleep_score, activity_score (Oura, 0-100)
-- hrv_balance (Oura readiness contributor), hrv_avg (ms, main sleep period),
-- resting_hr (bpm, lowest of the main sleep period), temperature_deviation_c
-- total_sleep_hours (long_sleep + sleep + late_nap periods), steps, active_calories (kcal)
-- workout_count, workout_minutes, total_output_kj (0 without workouts), avg_watts (mean of the
--   day's workouts with watts), workout_calories, max_avg_hr, disciplines (sorted distinct),
--   had_workout
-- readiness_to_output_ratio = total_output_kj / readiness_score (NULL without output or readiness)
-- combined_wellness_score = 0.6 * readiness + 0.4 * sleep (either alone when the other is missing)
SELECT
    person_id,
    day,
    readiness_score,
    sleep_score,
    activity_score,
    hrv_balance,
    hrv_avg,
    resting_hr,
    temperature_deviation_c,
    total_sleep_hours,
    steps,
    active_calories,
    workout_count,
    workout_minutes,
    total_output_kj,
    avg_watts,
    workout_calories,
    max_avg_hr,
    disciplines,
    had_workout,
    readiness_to_output_ratio,
    combined_wellness_score
FROM lake.daily_readiness_performance
