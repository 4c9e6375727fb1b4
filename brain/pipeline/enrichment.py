"""Stage 3, enrichment: standardised fields, inferred gaps, linked entities, embedding."""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from brain.embeddings import Embedder
from brain.pipeline.types import Enriched, Gathered
from engine.held import HeldByIdentity

_WORD = re.compile(r"\w+")


def standard_terms(values: Iterable[Any], limit: int) -> list[str]:
    """Lower-case, hyphenated, de-duplicated: 'Lost  Memory' and 'lost-memory' are one tag."""
    seen: list[str] = []
    for value in values:
        term = re.sub(r"[\s_]+", "-", str(value).strip().casefold()).strip("-")
        if term and term not in seen:
            seen.append(term)
    return seen[:limit]


def entity_text(gathered: Gathered) -> str:
    """The entity's own words, for the summary fallback and the searchable text."""
    entity = gathered.entity
    parts = [
        str(entity.get(k) or "")
        for k in ("description", "synopsis", "summary", "logline", "backstory", "content")
    ]
    return " ".join(p.strip() for p in parts if p.strip())


def standard_metadata(gathered: Gathered, raw: Mapping[str, Any]) -> dict[str, Any]:
    inferred: list[str] = []
    summary = " ".join(str(raw.get("summary") or "").split())
    if not summary:
        summary, inferred = entity_text(gathered)[:300], [*inferred, "summary"]
    category = str(raw.get("category") or "").strip().casefold()
    if not category:
        category, inferred = gathered.ref.type, [*inferred, "category"]
    tone = str(raw.get("tone") or "").strip().casefold()
    if not tone:
        tone, inferred = "unspecified", [*inferred, "tone"]
    importance = raw.get("importance")
    if not isinstance(importance, int | float) or math.isnan(importance):
        importance, inferred = 0.5, [*inferred, "importance"]
    return {
        "summary": summary,
        "themes": standard_terms(raw.get("themes") or [], 8),
        "tone": tone,
        "importance": round(min(max(float(importance), 0.0), 1.0), 2),
        "category": category,
        "tags": standard_terms(raw.get("tags") or [], 12),
        "inferred": inferred,
    }


def linked_entities(gathered: Gathered) -> list[dict[str, str]]:
    """Project characters named in the entity's text (by full name, or by a first name
    no other character shares), and the entity's graph neighbours."""
    text = json.dumps(gathered.entity, ensure_ascii=False).casefold()
    index = _name_indexes.get(gathered.project.get("characters", []))
    links = [
        {"id": character["id"], "type": "character", "name": character["name"], "via": "mention"}
        for character in index.named_in(text, set(_WORD.findall(text)), gathered.ref.id)
    ]
    for edge in gathered.graph.edges_of(gathered.ref.id):
        other = edge.target if edge.source == gathered.ref.id else edge.source
        links.append({"id": other, "relationship": edge.type, "via": "graph"})
    return links


@dataclass(frozen=True)
class _Alias:
    position: int  # the character's place in the project's list
    text: str  # casefolded, as written
    words: frozenset[str]
    first_name: bool  # a link only while no other character has the same first name


class _NameIndex:
    """A project's character names by one of their words. A document looks up only the
    names filed under one of its own words, instead of testing every character of the
    project (which grew with the project: 6% of a busy process's CPU)."""

    def __init__(self, characters: list[dict[str, Any]]) -> None:
        self.characters = characters
        self.first_names = Counter(_first_name(c) for c in characters if c["name"])
        self.by_word: dict[str, list[_Alias]] = defaultdict(list)
        self.wordless: list[_Alias] = []
        made: list[_Alias] = []
        self.positions: dict[Any, list[int]] = defaultdict(list)
        for position, character in enumerate(characters):
            self.positions[character["id"]].append(position)
            name = str(character["name"]).casefold()
            aliases = [_Alias(position, name, frozenset(_WORD.findall(name)), False)]
            # A first name three characters share stays shared whichever of them is
            # the document's own: it can never be a link, so it is not filed at all.
            aliases += [
                _Alias(position, first, frozenset(_WORD.findall(first)), True)
                for first in name.split()[:1]
                if len(first) > 2 and first != name and self.first_names[first] <= 2
            ]
            made.extend(aliases)
        # Each alias is filed under its rarest word: names that share a first word
        # (a family, a title such as "Dr.") would otherwise all be tried together.
        frequency = Counter(word for alias in made for word in alias.words)
        for alias in made:
            if alias.words:
                rarest = min(sorted(alias.words), key=frequency.__getitem__)
                self.by_word[rarest].append(alias)
            else:
                self.wordless.append(alias)

    def named_in(self, text: str, words: set[str], own_id: str) -> list[dict[str, Any]]:
        """The characters (other than `own_id`) that `text` names, in project order."""
        own = [self.characters[p] for p in self.positions.get(own_id, ())]
        shared_with_self = Counter(_first_name(c) for c in own if c["name"])
        found: set[int] = set()
        candidates = [*self.wordless, *(a for w in words for a in self.by_word.get(w, ()))]
        for alias in candidates:
            character = self.characters[alias.position]
            if alias.position in found or character["id"] == own_id:
                continue
            if alias.first_name and (
                self.first_names[alias.text] - shared_with_self[alias.text] != 1
            ):
                continue
            if _names(alias.text, text, words, alias.words):
                found.add(alias.position)
        return [self.characters[position] for position in sorted(found)]


def _first_name(character: Mapping[str, Any]) -> str:
    return str(character["name"]).split()[0].casefold()


# The index of each project's current character list (shared by every reader of one
# context version).
_name_indexes: HeldByIdentity[_NameIndex] = HeldByIdentity(_NameIndex)


def _names(alias: str, text: str, words: set[str], alias_words: frozenset[str]) -> bool:
    """Whether `text` has `alias` as a whole word or phrase. Every word of such a match
    is one of the text's words, so a set lookup rules out nearly every alias before any
    regular expression runs."""
    if not words.issuperset(alias_words):
        return False
    return re.search(rf"\b{re.escape(alias)}\b", text) is not None


def document_text(gathered: Gathered, metadata: Mapping[str, Any]) -> str:
    entity = gathered.entity
    lines = [f"{gathered.ref.type.title()}: {entity.get('name', '')}"]
    for key in ("role", "genre", "location", "episodeNumber", "sceneNumber"):
        if entity.get(key):
            lines.append(f"{key}: {entity[key]}")
    if entity.get("traits"):
        lines.append("traits: " + ", ".join(map(str, entity["traits"])))
    if entity.get("characters"):
        lines.append("characters: " + ", ".join(map(str, entity["characters"])))
    own = entity_text(gathered)
    lines += [own[:2000]] if own else []
    lines.append(f"summary: {metadata['summary']}")
    if metadata["themes"]:
        lines.append("themes: " + ", ".join(metadata["themes"]))
    return "\n".join(line for line in lines if line.strip())


async def enrich(gathered: Gathered, raw: Mapping[str, Any], embedder: Embedder) -> Enriched:
    metadata = standard_metadata(gathered, raw)
    metadata["links"] = linked_entities(gathered)
    metadata["entity"] = {k: v for k, v in gathered.entity.items() if k != "content"}
    metadata["embeddingModel"] = embedder.name
    text = document_text(gathered, metadata)
    [embedding] = await embedder.embed_passages([text])
    return Enriched(text=text, metadata=metadata, embedding=embedding)
