"""FACS action units: the catalogue, the channel order (AU x side) and intensity letters.

The channel order is defined here and only here. ``CHANNELS[2k]`` and ``CHANNELS[2k + 1]`` are the
left and right sides of the k-th unit of the catalogue.
"""

from avatardrive.facs._catalogue import (
    CATALOGUE_VERSION,
    INTENSITY_LETTERS,
    REGIONS,
    SIDES,
    ActionUnit,
    AUKey,
    Side,
    action_unit,
    action_units,
    channel_index,
    channel_names,
    channel_unit,
    channels_of,
    intensity_value,
    parse_au_key,
)
from avatardrive.facs._motion import (
    GAZE_AXES,
    HEAD_AXES,
    MotionAxis,
    angles_from_channels,
    angles_to_channels,
)

#: The channel names in the program's one channel order: ``("AU1_L", "AU1_R", ...)``.
CHANNELS: tuple[str, ...] = channel_names()
#: Number of AU channels (two per unit of the catalogue).
N_CHANNELS: int = len(CHANNELS)

__all__ = [
    "CATALOGUE_VERSION",
    "CHANNELS",
    "GAZE_AXES",
    "HEAD_AXES",
    "INTENSITY_LETTERS",
    "N_CHANNELS",
    "REGIONS",
    "SIDES",
    "AUKey",
    "ActionUnit",
    "MotionAxis",
    "Side",
    "action_unit",
    "action_units",
    "angles_from_channels",
    "angles_to_channels",
    "channel_index",
    "channel_names",
    "channel_unit",
    "channels_of",
    "intensity_value",
    "parse_au_key",
]
