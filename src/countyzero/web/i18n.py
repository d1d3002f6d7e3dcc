"""UI text in English and 简体中文, from ``locale/messages.yaml``; the language is remembered in a cookie."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import yaml

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
COOKIE = "countyzero_lang"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    text = files("countyzero.web").joinpath("locale/messages.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    return data


def translate(key: str, language: str) -> str:
    entry = catalogue().get(key)
    if entry is None:
        return key
    return entry.get(language) or entry.get("en") or key


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    if accept_language and accept_language.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE
