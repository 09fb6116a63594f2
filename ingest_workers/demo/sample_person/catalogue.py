"""The Peloton catalogue the sample person takes classes from: cycling class types with their
intensity relative to the rider's fitness watts, instructors, lengths, and for each other
discipline its classes, lengths, instructors and effort.
"""

from __future__ import annotations

from dataclasses import dataclass

# (Type, title stem, intensity factor relative to the rider's fitness watts)
CYCLING_CLASSES = (
    ("Intervals", "HIIT Ride", 1.06),
    ("Intervals", "Tabata Ride", 1.08),
    ("Intervals", "HIIT & Hills Ride", 1.05),
    ("Music", "Pop Ride", 0.97),
    ("Music", "Hip Hop Ride", 0.98),
    ("Music", "80s Ride", 0.96),
    ("Music", "2000s Ride", 0.97),
    ("Music", "Rock Ride", 0.97),
    ("Climb", "Climb Ride", 1.0),
    ("Theme", "XOXO, Cody", 0.95),
    ("Theme", "Rock, Pop & Soul Ride", 0.96),
    ("Theme", "Holiday Ride", 0.95),
    ("Power Zone", "Power Zone Endurance Ride", 0.88),
    ("Power Zone", "Power Zone Ride", 1.0),
    ("Power Zone", "Power Zone Max Ride", 1.1),
    ("Low Impact", "Low Impact Ride", 0.72),
)
CYCLING_INSTRUCTORS = (
    "Robin Arzon",
    "Alex Toussaint",
    "Ben Alldis",
    "Cody Rigsby",
    "Denis Morton",
    "Olivia Amato",
    "Kendall Toole",
    "Leanne Hainsby",
    "Emma Lovewell",
    "Hannah Frankson",
)
POWER_ZONE_INSTRUCTORS = ("Matt Wilpers", "Denis Morton", "Olivia Amato")
CYCLING_LENGTHS = (5, 10, 20, 30, 45, 60)
CYCLING_LENGTH_P = (0.02, 0.05, 0.2, 0.43, 0.22, 0.08)
CYCLING_LENGTH_P_TIRED = (0.05, 0.15, 0.4, 0.3, 0.1, 0.0)
SCENIC_PLACES = ("Monterey Peninsula", "Amalfi Coast", "Napa Valley", "Swiss Alps", "Big Sur")
# Trailing space as in real exports.
MULTIPLE = "Multiple Instructors "


@dataclass(frozen=True)
class AppClasses:
    """A non-cycling discipline: (Type, title stem) pairs, lengths, instructors, effort."""

    classes: tuple[tuple[str, str], ...]
    lengths: tuple[int, ...]
    length_p: tuple[float, ...]
    instructors: tuple[str, ...]
    kcal_per_min: float
    heart_rate: float


APP_CLASSES = {
    "Strength": AppClasses(
        (
            ("Core", "Core Strength"),
            ("Upper Body", "Upper Body Strength"),
            ("Lower Body", "Lower Body Strength"),
            ("Full Body", "Full Body Strength"),
            ("Arms & Light Weights", "Arms & Light Weights"),
        ),
        (5, 10, 20, 30),
        (0.1, 0.4, 0.35, 0.15),
        ("Andy Speer", "Jess Sims", "Adrian Williams", "Rad Lopez", "Selena Samuela"),
        7.0,
        118.0,
    ),
    "Yoga": AppClasses(
        (
            ("Flow", "Yoga Flow"),
            ("Focus Flow", "Yoga Flow: Hip Openers"),
            ("Restorative", "Restorative Yoga"),
            ("Yoga Basics", "Yoga Basics"),
        ),
        (10, 20, 30),
        (0.3, 0.45, 0.25),
        ("Denis Morton", "Ross Rayburn", "Aditi Shah", "Kristin McGee", "Anna Greenberg"),
        3.5,
        92.0,
    ),
    "Stretching": AppClasses(
        (
            ("Upper Body Stretch", "Chest & Back Stretch"),
            ("Lower Body Stretch", "Lower Body Stretch"),
            ("Full Body Stretch", "Full Body Stretch"),
            ("Post-Ride Stretch", "Post-Ride Stretch"),
        ),
        (5, 10, 15),
        (0.45, 0.45, 0.1),
        ("Andy Speer", "Olivia Amato", "Denis Morton", "Hannah Frankson"),
        3.0,
        88.0,
    ),
    "Meditation": AppClasses(
        (
            ("Mindfulness", "Breathing Meditation"),
            ("Relax & Sleep", "Sleep Meditation"),
            ("Mindfulness", "Mindfulness Meditation"),
            ("Gratitude", "Gratitude Meditation"),
        ),
        (5, 10, 15),
        (0.4, 0.45, 0.15),
        ("Aditi Shah", "Ross Rayburn", "Cody Rigsby", "Kristin McGee"),
        1.4,
        68.0,
    ),
    "Cardio": AppClasses(
        (
            ("Dance Cardio", "Dance Cardio"),
            ("HIIT Cardio", "HIIT Cardio"),
            ("Shadowboxing", "Shadowboxing"),
        ),
        (10, 20, 30),
        (0.3, 0.5, 0.2),
        ("Jess Sims", "Mayla Wedekin", "Kirra Michel", "Selena Samuela"),
        9.0,
        138.0,
    ),
    "Bike Bootcamp": AppClasses(
        (
            ("Music", "Bootcamp"),
            ("Music", "90s Bootcamp"),
            ("Intervals", "Full Body Bootcamp"),
            ("Intervals", "Lower Body Bootcamp"),
        ),
        (30, 45, 60),
        (0.5, 0.4, 0.1),
        ("Jess Sims", "Selena Samuela", "Rad Lopez", "Andy Speer"),
        9.5,
        142.0,
    ),
}
BIKE_DISCIPLINES = ("Cycling", "Bike Bootcamp")
