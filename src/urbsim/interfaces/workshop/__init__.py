"""The strategy-workshop app (``urbsim workshop``): policy levers tried against the baseline.

``levers`` (widgets to scenario tables) → ``jobs`` (runs in a background process, shared cache)
→ ``kept`` (a session's last results) → ``table``, ``effects``, ``targets`` and ``views``
(the headline table in plain words, target bands, figures) and ``report`` (downloads).
``texts`` is the one catalogue of the English and German wording, ``numformat`` and
``plotlocale`` write numbers in the page's language on the server and in the browser,
``glossary`` explains the terms; ``shared`` holds what a server shares, ``page`` the widgets and
their layout, ``app`` puts them together (Panel).
"""
