"""Stage 3, enrichment: standardised fields, inferred gaps, linked entities, embedding."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from brain.embeddings import Embedder
from brain.pipeline.types import Enriched, Gathered

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
    words = set(_WORD.findall(text))
    characters = [c for c in gathered.project.get("characters", []) if c["id"] != gathered.ref.id]
    first_names = Counter(str(c["name"]).split()[0].casefold() for c in characters if c["name"])
    links = []
    for character in characters:
        name = str(character["name"]).casefold()
        aliases = {name} | {
            first for first in name.split()[:1] if first_names[first] == 1 and len(first) > 2
        }
        if any(_names(alias, text, words) for alias in aliases):
            links.append(
                {
                    "id": character["id"],
                    "type": "character",
                    "name": character["name"],
                    "via": "mention",
                }
            )
    for edge in gathered.graph.edges_of(gathered.ref.id):
        other = edge.target if edge.source == gathered.ref.id else edge.source
        links.append({"id": other, "relationship": edge.type, "via": "graph"})
    return links


def _names(alias: str, text: str, words: set[str]) -> bool:
    """Whether `text` has `alias` as a whole word or phrase. Every word of such a match
    is one of the text's words, so a set lookup rules out nearly every character of a
    large project before any regular expression runs."""
    if not words.issuperset(_WORD.findall(alias)):
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
