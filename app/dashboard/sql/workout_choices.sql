-- The Workouts tab's filter choices: the disciplines and instructors in one person's silver
-- `workouts`, and the first workout day. :person_id is filled in by sqlglot.
SELECT
    discipline,
    instructor,
    MIN(day) AS first_day
FROM lake.workouts
WHERE person_id = :person_id
GROUP BY discipline, instructor
