"""Report rendering: papermill-executed notebooks turned into HTML, and shared plotting helpers."""
