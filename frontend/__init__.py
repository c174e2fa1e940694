"""The web UIs: annotator workspace, moderation console, admin and vendor dashboard."""
