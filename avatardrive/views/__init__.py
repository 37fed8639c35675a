"""Views: pyqtgraph plots, the puppeteering window, the monitor view and the preview face (its
geometry in ``_face_geometry`` needs no Qt). Qt loads only when a view is drawn."""
