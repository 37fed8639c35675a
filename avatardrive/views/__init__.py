"""Views: pyqtgraph plots, the puppeteering window, the monitor view and the preview face (its
geometry in ``_face_geometry`` needs no Qt). Qt loads only when a view is drawn.

The public entry point is :func:`plot`: the authoring plot of a timeline or of AU curves, written
as a PNG or shown in a window. Scripts use it instead of the private ``_plot_*`` modules.
"""

from avatardrive.views._public import plot

__all__ = ["plot"]
