"""The latent model's parameters (reported to callers in the package docstring), and the
training rhythm the plan draws from.
"""

from __future__ import annotations

import numpy as np

SLEEP_MEAN, SLEEP_PHI, SLEEP_SD = 78.0, 0.55, 6.0
READINESS_BASE = 82.0
READINESS_SLEEP_TODAY, READINESS_SLEEP_PREV = 0.45, 0.40
READINESS_PER_KJ = 0.030  # 450 kJ the day before costs about 13 readiness points
READINESS_NOISE_PHI, READINESS_NOISE_SD = 0.5, 3.0
ILLNESS_DROP, ILLNESS_CEILING = 24.0, 57.0
HRV_BASE_MS, RHR_BASE = 48.0, 52.0
WEIGHT_KG, BMR_KCAL = 78.0, 1750
KCAL_PER_MET_MINUTE = WEIGHT_KG * 3.5 / 200  # ACSM: kcal/min = MET x 3.5 x kg / 200

# Training rhythm: Friday is the usual rest day; Tuesday, Thursday and Saturday are the big ones.
WEEKDAY_WEIGHT = np.array([1.0, 1.25, 0.7, 1.25, 0.35, 1.35, 0.9])
PRIMARY = (
    ("Cycling", 0.70),
    ("Strength", 0.09),
    ("Yoga", 0.06),
    ("Stretching", 0.04),
    ("Meditation", 0.04),
    ("Bike Bootcamp", 0.05),
    ("Cardio", 0.02),
)
SECOND = (("Strength", 0.5), ("Stretching", 0.25), ("Yoga", 0.1), ("Meditation", 0.15))
DOUBLE_SHARE = 0.14
