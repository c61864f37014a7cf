"""Villages named as people write them ("Miroto", "Kel. Miroto"), matched within the partner's region.

The names are read once per file (one query), then every row's village is a
dictionary look-up; a name two villages share is reported with the candidates,
narrowed first by the district and regency names when the file has them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rangkul.partners.importing.read import header_key

_PREFIX = re.compile(r"(?i)^\s*(desa|kelurahan|kel|ds|kec|kecamatan|kabupaten|kab|kota adm|kota administrasi)\b\.?\s*")
Place = tuple[str, str, str, str]  # code, village, district, regency


def place_key(value: str) -> str:
    """ "Kel. Miroto" → "miroto"; "KAB. SEMARANG" → "semarang" ("Kota Semarang" keeps "kota")."""
    return header_key(_PREFIX.sub("", value or ""))


class PlaceIndex:
    """Village names of a region, loaded on first use."""

    def __init__(self, load: Callable[[], list[Place]], region_name: str = "") -> None:
        self._load = load
        self._by_name: dict[str, list[Place]] | None = None
        self._resolved: dict[tuple[str, str, str], tuple[str, Promise | str | None]] = {}
        self.region_name = region_name

    def _index(self) -> dict[str, list[Place]]:
        if self._by_name is None:
            self._by_name = {}
            for place in self._load():
                self._by_name.setdefault(place_key(place[1]), []).append(place)
        return self._by_name

    def resolve(self, village: str, district: str = "", regency: str = "") -> tuple[str, Promise | str | None]:
        """The village's code, or "" and why not (unknown, or which villages share the name)."""
        key = (village, district, regency)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(village, district, regency)
        return found

    def _resolve(self, village: str, district: str, regency: str) -> tuple[str, Promise | str | None]:
        candidates = self._index().get(place_key(village), [])
        if district:
            candidates = [c for c in candidates if place_key(c[2]) == place_key(district)] or candidates
        if regency:
            wanted = place_key(regency)
            candidates = [c for c in candidates if wanted in {place_key(c[3]), header_key(c[3])}] or candidates
        if len(candidates) == 1:
            return candidates[0][0], None
        if not candidates:
            where = self.region_name or str(_("the region list"))
            return "", _("No village of this name in %(region)s; check the spelling or write the village code.") % {
                "region": where
            }
        names = "; ".join(f"{c[1]} ({c[2]}, {c[3]}) = {c[0]}" for c in candidates[:10])
        return "", _(
            "Several villages have this name: %(candidates)s. Add the Kecamatan column or write the village code."
        ) % {"candidates": names}
