"""Views: pyqtgraph plots, the puppeteering window and the monitor view. Qt loads only when a
view is drawn."""
