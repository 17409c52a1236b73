"""`museslang report`: Markdown and self-contained HTML reports with plots, from run directories."""
