"""The per-frame step every loop shares: poll control input, mix triggered layers on the base
frame, retarget per route and send; and the neutral frame that ends every stream."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from avatardrive.facs import N_CHANNELS
from avatardrive.pipeline._commands import CommandRouter
from avatardrive.pipeline._routes import Route, send_neutral
from avatardrive.synth import Mixer
from avatardrive.transport import ControlListener

__all__ = ["FrameStep"]

FloatArray = NDArray[np.float32]


class FrameStep:
    """Poll -> mix -> retarget and send, for one frame at a time.

    Parameters
    ----------
    routes : sequence of Route
        Destinations; each gets every frame retargeted to its rig.
    mixer : Mixer, optional
        Layers control-triggered expressions on the base frame.
    control : ControlListener, optional
        Where control commands come from (polled each frame, never blocking).
    on_calibrate : callable, optional
        Called for ``/avatardrive/calibrate`` (live tracking).
    """

    def __init__(
        self,
        routes: Sequence[Route],
        *,
        mixer: Mixer | None = None,
        control: ControlListener | None = None,
        on_calibrate: Callable[[], None] | None = None,
    ) -> None:
        self.routes = list(routes)
        self.mixer = mixer or Mixer()
        self.commands = CommandRouter(self.mixer, control, on_calibrate=on_calibrate)
        self._mixed = np.zeros(N_CHANNELS, dtype=np.float32)
        self._ended = False

    def mix(self, base: FloatArray | None, *, time: float) -> FloatArray:
        """Apply the control commands that arrived, then mix the layers on ``base``.

        Returns
        -------
        ndarray of float32, shape (N_CHANNELS,)
            A buffer reused by the next call: copy it to keep it.
        """
        self.commands.poll(time)
        return self.mixer.frame(base, now=time, out=self._mixed)

    def send(self, frame: FloatArray, *, index: int, time: float) -> None:
        """Retarget ``frame`` (N_CHANNELS,) to every route's rig and send it."""
        for route in self.routes:
            route.send(frame, index=index, time=time)

    def __call__(self, base: FloatArray | None, *, index: int, time: float) -> FloatArray:
        """:meth:`mix` then :meth:`send`; returns the mixed frame (a reused buffer)."""
        mixed = self.mix(base, time=time)
        self.send(mixed, index=index, time=time)
        return mixed

    def end(self, *, index: int, time: float) -> None:
        """Send every route a neutral frame so avatars return to rest (once)."""
        if not self._ended:
            self._ended = True
            send_neutral(self.routes, index=index, time=time)
