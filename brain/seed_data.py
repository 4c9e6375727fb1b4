"""Seed data for the demo project: a small series with episodes, scenes, characters and links.

Pure data, no Django imports. The seeding code creates the Project, Episode, Scene,
Character, CharacterRelationship and SceneAppearance rows from `DEMO_PROJECT`; characters
are referenced by name everywhere else. Run this file to check that every name resolves.
"""

from __future__ import annotations

from typing import Any

DEMO_PROJECT: dict[str, Any] = {
    "slug": "the-lantern-keepers",
    "name": "The Lantern Keepers",
    "genre": "Coastal mystery with a touch of the uncanny",
    "logline": (
        "When the last lighthouse on the fog-bound island of Skellan goes dark, a disgraced "
        "cartographer comes home to relight it, and learns the fog has been keeping more than "
        "ships away."
    ),
    "description": (
        "A six-part series set on a remote North Atlantic island where the lighthouse has "
        "burned every night for two hundred years. Isla Marrow left Skellan after one of her "
        "charts sent a trawler onto the rocks; she returns when her brother writes that the "
        "lamp has failed and old Agnes Pell has fallen from the gallery. As the fog thickens, "
        "a harbourmaster who profits from wrecks closes in, and a girl with no memory walks "
        "out of the sea mist humming a song only the drowned should know."
    ),
    "characters": [
        {
            "name": "Isla Marrow",
            "role": "protagonist",
            "description": (
                "A sharp, restless cartographer in her mid-thirties with ink-stained fingers "
                "and a habit of measuring every room she enters."
            ),
            "traits": ["precise", "guilt-driven", "stubborn", "quietly funny"],
            "backstory": (
                "Raised on Skellan by her grandmother, Isla left for the mainland survey office "
                "at nineteen. Eight years ago a chart she drew missed a shifting sandbar and "
                "the trawler Merrow Bell ran aground with the loss of three men. She was "
                "cleared by the inquiry but never forgave herself, and has not been home since."
            ),
        },
        {
            "name": "Tobias Marrow",
            "role": "deuteragonist",
            "description": (
                "Isla's younger brother, twenty-six, broad-shouldered and gentle, apprentice "
                "keeper of the Skellan light."
            ),
            "traits": ["loyal", "patient", "secretive", "resents being left behind"],
            "backstory": (
                "Tobias stayed when Isla left, nursing their grandmother until she died and "
                "then apprenticing himself to Agnes. He borrowed money from Corwin Hale to keep "
                "the lamp's oil supply running when the mainland cut its funding, and has told "
                "no one."
            ),
        },
        {
            "name": "Agnes Pell",
            "role": "mentor",
            "description": (
                "Head keeper of the Skellan light for forty years, seventy-three, blind in one "
                "eye, with a voice that carries over a gale."
            ),
            "traits": ["formidable", "superstitious", "protective", "keeps her own counsel"],
            "backstory": (
                "Agnes took over the light from her father and has never missed a night. She "
                "taught a young Isla to read tides and currents before Isla ever drew a map. "
                "She knows the lamp burns a salt oil pressed from an old island recipe, and "
                "believes the light is what holds the fog, and the drowned, at bay."
            ),
        },
        {
            "name": "Corwin Hale",
            "role": "antagonist",
            "description": (
                "Skellan's charming harbourmaster and salvage contractor, fifties, always in a "
                "good coat, always first on the scene of a wreck."
            ),
            "traits": ["charismatic", "patient", "ruthless", "pragmatic"],
            "backstory": (
                "Corwin's family salvage business has grown rich on Skellan's wrecks for three "
                "generations. He owned the salvage rights to the Merrow Bell and quietly paid "
                "for the survey that produced Isla's flawed chart. A dark lighthouse would make "
                "him the richest man on the island."
            ),
        },
        {
            "name": "Ruan Okafor",
            "role": "ally",
            "description": (
                "The island's ferry pilot, late thirties, calm in any sea, who reads people as "
                "well as he reads weather."
            ),
            "traits": ["steady", "observant", "wry", "principled"],
            "backstory": (
                "Ruan came to Skellan from Lagos by way of Aberdeen trawlers and took over the "
                "ferry run six years ago. He was the only pilot willing to cross in the fog the "
                "night the Merrow Bell went down, and pulled one survivor from the water."
            ),
        },
        {
            "name": "Wren",
            "role": "mystery",
            "description": (
                "A barefoot girl of about twelve in a salt-stiff coat far too old-fashioned "
                "for her, who appears on the causeway with no memory of who she is."
            ),
            "traits": ["watchful", "unnervingly calm", "curious", "speaks in old sayings"],
            "backstory": (
                "Nobody on Skellan recognises her. She hums a sea shanty Agnes has not heard "
                "since her father's time, and her coat bears the name of a ship lost in 1911."
            ),
        },
    ],
    "relationships": [
        {
            "from": "Isla Marrow",
            "to": "Tobias Marrow",
            "type": "sibling",
            "strength": 0.6,
            "description": (
                "Close as children, estranged for eight years; Isla feels she abandoned him, "
                "Tobias half agrees."
            ),
        },
        {
            "from": "Agnes Pell",
            "to": "Tobias Marrow",
            "type": "mentor",
            "strength": 0.85,
            "description": (
                "Agnes is training Tobias to take over the light and trusts him more than "
                "anyone alive, which makes his secret debt a betrayal waiting to happen."
            ),
        },
        {
            "from": "Agnes Pell",
            "to": "Isla Marrow",
            "type": "mentor",
            "strength": 0.45,
            "description": (
                "Agnes taught Isla the sea before the mainland taught her maps; she is hurt "
                "that Isla left and proud of her anyway."
            ),
        },
        {
            "from": "Corwin Hale",
            "to": "Agnes Pell",
            "type": "enemy",
            "strength": 0.8,
            "description": (
                "Decades of cold war over the light: Agnes keeps ships off the rocks, Corwin "
                "makes his living when they are not."
            ),
        },
        {
            "from": "Corwin Hale",
            "to": "Isla Marrow",
            "type": "rival",
            "strength": 0.7,
            "description": (
                "Corwin presents himself as Isla's old friend and defender at the inquiry; she "
                "does not yet know he paid for the survey that ruined her."
            ),
        },
        {
            "from": "Ruan Okafor",
            "to": "Isla Marrow",
            "type": "love-interest",
            "strength": 0.55,
            "description": (
                "An easy, teasing warmth on the ferry that neither is ready to name; Ruan knows "
                "more about the night of the wreck than he has told her."
            ),
        },
        {
            "from": "Wren",
            "to": "Tobias Marrow",
            "type": "ally",
            "strength": 0.4,
            "description": (
                "Wren attaches herself to Tobias from the moment he finds her, and seems to "
                "know the lighthouse stairs better than he does."
            ),
        },
    ],
    "episodes": [
        {
            "episode_number": 1,
            "title": "The Dark Lamp",
            "synopsis": (
                "Isla returns to Skellan for the first time in eight years after the lighthouse "
                "fails and Agnes is injured. She finds the great lens cracked, her brother "
                "hiding something, and Corwin Hale offering to take the light off everyone's "
                "hands."
            ),
            "scenes": [
                {
                    "scene_number": 1,
                    "title": "Last Ferry In",
                    "location": "Skellan ferry, open sea, dusk",
                    "summary": (
                        "Isla crosses to Skellan on Ruan's ferry as the fog rolls in. Their "
                        "banter turns serious when the lighthouse beam fails to appear."
                    ),
                    "content": (
                        "Fog closes around the small ferry as the island's cliffs emerge. Ruan "
                        "recognises Isla from the inquiry photographs and offers her tea from "
                        "a dented flask instead of sympathy. She times the swell with her "
                        "watch out of habit, counting the seconds for a beam that never comes. "
                        "Ruan kills the engine and steers by sound alone, listening for the "
                        "bell buoy."
                    ),
                    "appearances": [
                        {"character": "Isla Marrow", "role": "lead"},
                        {"character": "Ruan Okafor", "role": "supporting"},
                    ],
                },
                {
                    "scene_number": 2,
                    "title": "The Keeper's Fall",
                    "location": "Skellan lighthouse, lamp room",
                    "summary": (
                        "Tobias shows Isla the cracked lens and the spot where Agnes fell. "
                        "Agnes, bandaged and furious, insists the light must burn tomorrow "
                        "night whatever it costs."
                    ),
                    "content": (
                        "The lamp room smells of brass polish and cold oil, and a jagged crack "
                        "runs through the great Fresnel lens. Tobias says Agnes slipped on the "
                        "gallery in the storm, but the rail he points to is unbroken. Agnes, "
                        "strapped into a chair with her arm in a sling, tells Isla she is "
                        "welcome home and in the same breath orders her to fetch the spare "
                        "wicks. Isla measures the crack with a ruler and says the lens cannot "
                        "be repaired on the island."
                    ),
                    "appearances": [
                        {"character": "Tobias Marrow", "role": "lead"},
                        {"character": "Agnes Pell", "role": "supporting"},
                        {"character": "Isla Marrow", "role": "supporting"},
                    ],
                },
                {
                    "scene_number": 3,
                    "title": "An Offer in the Harbour Office",
                    "location": "Harbour office, Skellan quay, night",
                    "summary": (
                        "Corwin welcomes Isla back warmly and offers to fund an electric beacon "
                        "if the keepers hand over the lighthouse. Isla notices Tobias's name in "
                        "his ledger."
                    ),
                    "content": (
                        "Corwin's office is warm, lamplit and lined with salvaged ship's "
                        "instruments. He pours Isla a whisky, reminds her he spoke up for her "
                        "at the inquiry, and slides a contract for an automated beacon across "
                        "the desk. When he steps out to answer the harbour radio, Isla reads "
                        "his open ledger upside down and finds her brother's name beside a "
                        "sum she cannot believe. Tobias appears in the doorway just long "
                        "enough to see that she has seen it."
                    ),
                    "appearances": [
                        {"character": "Corwin Hale", "role": "lead"},
                        {"character": "Isla Marrow", "role": "lead"},
                        {"character": "Tobias Marrow", "role": "cameo"},
                    ],
                },
            ],
        },
        {
            "episode_number": 2,
            "title": "What the Fog Keeps",
            "synopsis": (
                "With the light still dark, a girl with no memory walks out of the fog, and "
                "Agnes finally tells Isla what the lamp really burns. At the wreck site that "
                "night, Isla catches Corwin's crew salvaging a ship that should not be there."
            ),
            "scenes": [
                {
                    "scene_number": 1,
                    "title": "The Girl on the Causeway",
                    "location": "Tidal causeway below the lighthouse, dawn",
                    "summary": (
                        "Tobias finds a barefoot girl standing on the causeway as the tide "
                        "comes in. She knows his name and calls the lighthouse by a name "
                        "nobody has used in a century."
                    ),
                    "content": (
                        "Grey dawn, the tide racing in across the causeway stones. Tobias, "
                        "hauling oil drums, sees a small figure standing perfectly still in "
                        "the rising water. He carries her to the steps; she is dry beneath her "
                        "salt-crusted coat and asks whether the Old Watch is lit yet. Isla "
                        "arrives to find Wren calmly counting the lighthouse windows, and the "
                        "count is one more than Isla has ever counted."
                    ),
                    "appearances": [
                        {"character": "Tobias Marrow", "role": "lead"},
                        {"character": "Wren", "role": "lead"},
                        {"character": "Isla Marrow", "role": "supporting"},
                    ],
                },
                {
                    "scene_number": 2,
                    "title": "Agnes's Logbook",
                    "location": "Keeper's cottage, Agnes's bedroom",
                    "summary": (
                        "Bedridden, Agnes shows Isla the keepers' logbook and the recipe for "
                        "the salt oil the lamp has always burned. She warns that an electric "
                        "beacon would light the sea but not hold back the fog."
                    ),
                    "content": (
                        "Rain against small windows, a coal stove, a logbook bound in "
                        "sealskin. Agnes turns the pages to show two centuries of entries, "
                        "each night marked with the same symbol, and one gap: the night the "
                        "Merrow Bell went down, when the entry is in Tobias's handwriting. "
                        "She makes Isla copy the salt oil recipe by hand. Ruan knocks to "
                        "deliver medicine from the mainland and leaves without a word when he "
                        "sees the book open."
                    ),
                    "appearances": [
                        {"character": "Isla Marrow", "role": "lead"},
                        {"character": "Agnes Pell", "role": "supporting"},
                        {"character": "Ruan Okafor", "role": "cameo"},
                    ],
                },
                {
                    "scene_number": 3,
                    "title": "Salvage Rights",
                    "location": "Skellan Rocks wreck site, night",
                    "summary": (
                        "Isla persuades Ruan to take her out to the rocks, where Corwin's crew "
                        "are raising cargo from a wreck that appears on no chart. Corwin "
                        "catches them in his searchlight."
                    ),
                    "content": (
                        "Ruan runs the ferry dark through the fog, Isla navigating from "
                        "memory and a hand-drawn chart. Floodlights reveal Corwin's salvage "
                        "barge over the rocks, winching crates from an old hull crusted in "
                        "barnacles. Corwin's searchlight finds them and he calls across the "
                        "water, cheerful as ever, that a wreck nobody charted belongs to "
                        "whoever finds it. Behind them, on the ferry's stern where no one "
                        "saw her board, Wren is humming."
                    ),
                    "appearances": [
                        {"character": "Isla Marrow", "role": "lead"},
                        {"character": "Ruan Okafor", "role": "supporting"},
                        {"character": "Corwin Hale", "role": "supporting"},
                        {"character": "Wren", "role": "cameo"},
                    ],
                },
            ],
        },
    ],
}

APPEARANCE_ROLES = ("lead", "supporting", "cameo")


def check_demo_project(project: dict[str, Any]) -> list[str]:
    """Return the problems in `project`: unknown names, duplicates, out-of-range values."""
    problems: list[str] = []
    names = [character["name"] for character in project["characters"]]
    known = set(names)
    if len(known) != len(names):
        problems.append("duplicate character names")

    seen_links: set[tuple[str, str, str]] = set()
    for link in project["relationships"]:
        for end in ("from", "to"):
            if link[end] not in known:
                problems.append(f"relationship {end} unknown character {link[end]!r}")
        if link["from"] == link["to"]:
            problems.append(f"relationship of {link['from']!r} to itself")
        if not 0 <= link["strength"] <= 1:
            problems.append(f"relationship strength out of range: {link['strength']}")
        key = (link["from"], link["to"], link["type"])
        if key in seen_links:
            problems.append(f"duplicate relationship {key}")
        seen_links.add(key)

    episode_numbers = [episode["episode_number"] for episode in project["episodes"]]
    if len(set(episode_numbers)) != len(episode_numbers):
        problems.append("duplicate episode numbers")
    for episode in project["episodes"]:
        scene_numbers = [scene["scene_number"] for scene in episode["scenes"]]
        if len(set(scene_numbers)) != len(scene_numbers):
            problems.append(f"episode {episode['episode_number']}: duplicate scene numbers")
        for scene in episode["scenes"]:
            where = f"E{episode['episode_number']} S{scene['scene_number']}"
            cast = [appearance["character"] for appearance in scene["appearances"]]
            if len(set(cast)) != len(cast):
                problems.append(f"{where}: character appears twice")
            for appearance in scene["appearances"]:
                if appearance["character"] not in known:
                    problems.append(f"{where}: unknown character {appearance['character']!r}")
                if appearance["role"] not in APPEARANCE_ROLES:
                    problems.append(f"{where}: bad appearance role {appearance['role']!r}")
    return problems


if __name__ == "__main__":
    found = check_demo_project(DEMO_PROJECT)
    assert not found, found
    scenes = sum(len(episode["scenes"]) for episode in DEMO_PROJECT["episodes"])
    print(
        f"{DEMO_PROJECT['name']}: {len(DEMO_PROJECT['episodes'])} episodes, {scenes} scenes, "
        f"{len(DEMO_PROJECT['characters'])} characters, "
        f"{len(DEMO_PROJECT['relationships'])} relationships: all names resolve"
    )
