"""Plotly figures for the pages: one module per page (explore, train, draw)."""
