"""The strategy-workshop app (``urbsim workshop``): policy levers tried against the baseline.

``levers`` (widgets to scenario tables) → ``jobs`` (runs in a background process, shared cache)
→ ``views`` and ``report`` (tables, figures, downloads); ``texts`` holds the English and German
wording; ``app`` puts them together (Panel).
"""
