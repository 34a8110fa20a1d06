"""The offline plan as a change review: snapshots, diffs, cost and the preview-shaped text."""
