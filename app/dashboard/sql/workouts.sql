-- The Workouts tab: one person's workouts from silver `workouts` between :first_day and
-- :last_day, newest first, optionally of one :discipline and one :instructor (NULL: any).
-- Apple Health copies of a workout another source has (starting within 10 minutes) are left
-- out, as gold daily_readiness_performance does, so each session is counted once.
-- Every :placeholder is filled in by sqlglot as a literal, never by string formatting.
SELECT
    w.workout_id,
    w.day,
    w.started_at,
    w.discipline,
    w.title,
    w.instructor,
    w.duration_min,
    w.output_kj,
    w.avg_watts,
    w.avg_cadence_rpm,
    w.avg_hr,
    w.calories_kcal,
    w.distance_km,
    w.source
FROM lake.workouts w
WHERE w.person_id = :person_id
  AND w.day BETWEEN :first_day AND :last_day
  AND (:discipline IS NULL OR w.discipline = :discipline)
  AND (:instructor IS NULL OR w.instructor = :instructor)
  AND NOT (
    w.source = 'apple_health'
    AND EXISTS (
      SELECT 1
      FROM lake.workouts o
      WHERE o.person_id = w.person_id
        AND o.source <> 'apple_health'
        AND ABS(date_diff('second', o.started_at, w.started_at)) <= 600
    )
  )
ORDER BY w.started_at DESC
