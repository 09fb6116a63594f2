-- question: How many moderate overtraining risk days did I have in the last 30 days?
-- relation: overtraining_risk
-- rationale: days 2025-03-02 to 2025-03-31 the overtraining_risk view rates moderate_risk
-- answer_template: You had {risk_days} moderate-risk days in the last 30 days.
SELECT count(*) AS risk_days
FROM overtraining_risk
WHERE person_id = 'me'
  AND day BETWEEN DATE '2025-03-02' AND DATE '2025-03-31'
  AND overtraining_risk = 'moderate_risk'
