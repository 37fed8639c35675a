"""Views: pyqtgraph plots, the puppeteering window, the monitor view and the preview face (its
geometry in ``_face_geometry`` needs no Qt). Qt loads only when a view is drawn: :func:`plot` for
the authoring plot; :func:`load_qt`, :func:`application` and :class:`PuppetWindow` for scripts
that run the puppeteering window themselves.

The public entry point is :func:`plot`: the authoring plot of a timeline or of AU curves, written
as a PNG or shown in a window. Scripts use it instead of the private ``_plot_*`` modules.
"""

from avatardrive.views._plot_qt import application, load_qt
from avatardrive.views._public import plot
from avatardrive.views._puppet_window import PuppetWindow

__all__ = ["PuppetWindow", "application", "load_qt", "plot"]
