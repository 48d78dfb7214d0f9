"""The territory's gazetteer: finding places named in a message."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .text import fold
from .types import GeoPoint, Place


@dataclass(frozen=True, slots=True)
class BoundingBox:
    south: float
    west: float
    north: float
    east: float

    def contains(self, point: GeoPoint) -> bool:
        return self.south <= point.lat <= self.north and self.west <= point.lon <= self.east


class Gazetteer:
    """Resolves commune names, aliases and landmarks, with or without accents, to places."""

    def __init__(self, places: Iterable[Place], aliases: Mapping[str, str] | None = None,
                 outside: Iterable[Place] = (), whole: Iterable[str] = (),
                 landmarks: Mapping[str, str] | None = None) -> None:
        """``whole``: names of the whole territory, which name none of its places ("Aix-Marseille" is the
        metropolis or its university, not Aix-en-Provence): found in a text, they hide the places they hold.
        ``landmarks``: places within a commune ("Luminy": Marseille), found as their commune, and known by their own
        name where a conversation is about them (``landmark``)."""
        self._outside = _Names({fold(p.name): p for p in outside})
        self._by_name: dict[str, Place] = {}
        for place in places:
            self._by_name[fold(place.name)] = place
        self._landmarks: dict[str, str] = {}
        for name in landmarks or {}:
            self._landmarks.setdefault(fold(name), name)  # "Vieux-Port", not "Vieux Port", which folds alike
        for alias, target in {**(aliases or {}), **(landmarks or {})}.items():
            found = self._by_name.get(fold(target))
            if found is None:
                raise ValueError(f"alias {alias!r} points at unknown place {target!r}")
            self._by_name.setdefault(fold(alias), found)
        self._names = _Names(self._by_name, {fold(name) for name in whole})

    def __len__(self) -> int:
        return len({p.code or p.name for p in self._by_name.values()})

    def find(self, text: str) -> Place | None:
        """The first place of the territory named in ``text``, or None."""
        return self._names.find(text)

    def named(self, text: str) -> list[tuple[str, Place]]:
        """Every place of the territory named in ``text``, with the name as written (accent-folded), in order."""
        return self._names.all(text)

    def landmark(self, name: str) -> str | None:
        """The landmark's own name ("Luminy") for a name ``named`` gives (accent-folded), or None when it names a
        commune or another name of one ("Marsiglia")."""
        return self._landmarks.get(fold(name))

    def find_outside(self, text: str) -> Place | None:
        """A well-known place outside the territory named in ``text``, or None."""
        return self._outside.find(text)

    def places(self) -> list[Place]:
        """Each place once (aliases folded into their place)."""
        return list({p.name: p for p in self._by_name.values()}.values())

    def nearest(self, point: GeoPoint) -> Place | None:
        return min(self.places(), key=lambda p: p.geo.distance_km(point), default=None)


class _Names:
    def __init__(self, by_name: Mapping[str, Place], hiding: Iterable[str] = ()) -> None:
        self._by_name = dict(by_name)
        # longest names first, so "Aix-en-Provence" wins over "Aix", and "Aix-Marseille" (hiding) over both
        names = sorted({*self._by_name, *hiding}, key=len, reverse=True)
        self._pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b") if names else None

    def find(self, text: str) -> Place | None:
        found = self.all(text)
        return found[0][1] if found else None

    def all(self, text: str) -> list[tuple[str, Place]]:
        if self._pattern is None:
            return []
        return [(m.group(1), self._by_name[m.group(1)]) for m in self._pattern.finditer(fold(text))
                if m.group(1) in self._by_name]
