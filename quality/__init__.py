"""Quality and vendors: gold accuracy, agreement, adjudication, scorecards, billing, dashboard figures.

Figures come from rollups that the submit path updates incrementally (``services.record_submission``),
never from scans of the annotation table per page view. The metric formulas are a pure engine
(``metrics.py``).
"""
