"""Reports: diagrams, plots, the check and sweep sections, Markdown and HTML (the only part that imports matplotlib)."""
