"""The HTML report: one self-contained file rendered from an output folder's tables."""

from .html import render_report, write_report

__all__ = ["render_report", "write_report"]
