"""The project's story world: projects, episodes, scenes, characters and their links.

These rows are the source of truth; the knowledge graph (spec 4.3) mirrors them.
Each entity has a `uid` so graph node ids are stable across databases.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from aladdin.crypto import EncryptedTextField
from aladdin.validators import fraction_0_1


def empty_list() -> list[Any]:
    return []


def empty_dict() -> dict[str, Any]:
    return {}


class Project(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    genre = models.CharField(max_length=100, blank=True)
    logline = models.TextField(blank=True)
    settings = models.JSONField(default=empty_dict, blank=True)
    is_active = models.BooleanField(default=True)

    # Budgets (spec 7.1). Blank USD limits mean "no dollar limit".
    token_budget_per_execution = models.PositiveIntegerField(
        default=50_000, validators=[MinValueValidator(1)]
    )
    token_budget_daily = models.PositiveIntegerField(
        default=500_000, validators=[MinValueValidator(1)]
    )
    # 0 is a budget of nothing (no paid calls), not "no limit".
    usd_budget_per_execution = models.DecimalField(
        max_digits=10, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    usd_budget_daily = models.DecimalField(
        max_digits=10, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    pause_at_budget = models.BooleanField(
        default=False,
        help_text="When a run's budget runs out, pause it (status paused) instead of "
        "finishing short; raise the budget, then resume it from the monitor or the API.",
    )
    requires_approval = models.BooleanField(
        default=False,
        help_text="Results recommended for the brain wait for a person with write access "
        "to approve them (all or entity by entity) before anything is stored.",
    )

    # Model tiers (spec 7.3); blank falls back to the site settings.
    model_simple = models.CharField(max_length=200, blank=True)
    model_standard = models.CharField(max_length=200, blank=True)
    model_premium = models.CharField(max_length=200, blank=True)
    # Used for this project's LLM calls instead of ALADDIN_LLM_API_KEY; never shown back.
    llm_api_key = EncryptedTextField(
        "provider API key",
        max_length=1000,
        blank=True,
        help_text="Key for this project's model provider; stored encrypted, never shown again.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usd_budget_per_execution__isnull=True)
                | Q(usd_budget_per_execution__gte=0),
                name="project_usd_budget_per_execution_not_negative",
                violation_error_message="The USD budget per run must be 0 or more.",
            ),
            models.CheckConstraint(
                condition=Q(usd_budget_daily__isnull=True) | Q(usd_budget_daily__gte=0),
                name="project_usd_budget_daily_not_negative",
                violation_error_message="The daily USD budget must be 0 or more.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Episode(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="episodes")
    episode_number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=200)
    synopsis = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "episode_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "episode_number"],
                name="unique_episode_number",
                violation_error_message="This project already has an episode with that number.",
            )
        ]

    def __str__(self) -> str:
        return f"E{self.episode_number}: {self.title}"


class Scene(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="scenes")
    scene_number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=200)
    location = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    content = models.TextField(blank=True)
    # From the scene heading of an imported script (screenplay app); blank when typed in.
    setting = models.ForeignKey(
        "Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="scenes"
    )
    int_ext = models.CharField("INT/EXT", max_length=10, blank=True)
    time_of_day = models.CharField(max_length=40, blank=True)
    page_eighths = models.PositiveIntegerField(default=0, help_text="Length in eighths of a page.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["episode", "scene_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "scene_number"],
                name="unique_scene_number",
                violation_error_message="This episode already has a scene with that number.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.episode} / S{self.scene_number}: {self.title}"


class Character(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="characters")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True, help_text="protagonist, antagonist, ...")
    description = models.TextField(blank=True)
    traits = models.JSONField(default=empty_list, blank=True)
    backstory = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="unique_character_name",
                violation_error_message="This project already has a character with that name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CharacterRelationship(models.Model):
    """(:Character)-[:RELATED_TO {type, strength}]->(:Character)."""

    from_character = models.ForeignKey(
        Character, on_delete=models.CASCADE, related_name="relationships_out"
    )
    to_character = models.ForeignKey(
        Character, on_delete=models.CASCADE, related_name="relationships_in"
    )
    type = models.CharField(max_length=50, help_text="ally, enemy, mentor, sibling, ...")
    strength = models.FloatField(default=0.5, validators=fraction_0_1)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_character", "to_character", "type"],
                name="unique_character_relationship",
            ),
            models.CheckConstraint(
                condition=Q(strength__gte=0) & Q(strength__lte=1),
                name="relationship_strength_0_1",
                violation_error_message="Strength must be between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=~Q(from_character=F("to_character")),
                name="relationship_not_self",
                violation_error_message="A character cannot be related to itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_character} -{self.type}-> {self.to_character}"


class SceneAppearance(models.Model):
    """(:Character)-[:APPEARS_IN {role}]->(:Scene)."""

    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="appearances")
    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="appearances")
    role = models.CharField(max_length=100, blank=True, help_text="lead, supporting, cameo, ...")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["character", "scene"], name="unique_scene_appearance")
        ]

    def __str__(self) -> str:
        return f"{self.character} in {self.scene}"


class Location(models.Model):
    """A place scenes are set in: (:Scene)-[:SET_IN]->(:Location)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_location_name")
        ]

    def __str__(self) -> str:
        return self.name


class ElementCategory(models.TextChoices):
    """The script breakdown's standard categories."""

    CAST = "cast"
    EXTRAS = "extras"
    PROPS = "props"
    WARDROBE = "wardrobe"
    MAKEUP_HAIR = "makeup_hair", "makeup/hair"
    VEHICLES = "vehicles"
    ANIMALS = "animals"
    SPECIAL_EFFECTS = "special_effects", "special effects"
    VISUAL_EFFECTS = "visual_effects", "visual effects"
    SOUND = "sound"
    SET_DRESSING = "set_dressing", "set dressing"


class Element(models.Model):
    """A confirmed breakdown element (a prop, a vehicle, ...): (:Element)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="elements")
    category = models.CharField(max_length=20, choices=ElementCategory.choices)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "category", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "category", "name"], name="unique_element_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_category_display()})"


class ElementFate(models.TextChoices):
    NONE = "", "-"
    DESTROYED = "destroyed", "destroyed"
    GIVEN_AWAY = "given_away", "given away"


class SceneElement(models.Model):
    """(:Element)-[:NEEDED_IN {evidence, fate}]->(:Scene), with the line it comes from."""

    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="scene_elements")
    element = models.ForeignKey(Element, on_delete=models.CASCADE, related_name="uses")
    evidence = models.TextField()
    line = models.PositiveIntegerField(null=True, blank=True)
    fate = models.CharField(max_length=20, choices=ElementFate.choices, blank=True)

    class Meta:
        ordering = ["scene", "element"]
        constraints = [
            models.UniqueConstraint(fields=["scene", "element"], name="unique_scene_element")
        ]

    def __str__(self) -> str:
        return f"{self.element} in {self.scene}"


# --- The embedded graph backend's tables (brain/graph/embedded_backend.py) ----------------
# Used when NEO4J_URL is unset: the graph of spec 4.3 and the brain documents live in the
# project's own database. They mirror the rows above and are rebuilt by `brain_sync`.


class GraphNode(models.Model):
    label = models.CharField(max_length=20)
    node_id = models.CharField(max_length=64)
    project_uid = models.CharField(max_length=64, db_index=True)
    properties = models.JSONField(default=empty_dict)

    class Meta:
        ordering = ["label", "node_id"]
        constraints = [
            models.UniqueConstraint(fields=["label", "node_id"], name="unique_graph_node")
        ]
        indexes = [models.Index(fields=["node_id"], name="graph_node_id")]

    def __str__(self) -> str:
        return f"({self.label} {self.node_id})"


class GraphEdge(models.Model):
    type = models.CharField(max_length=20)
    # CASCADE gives DETACH DELETE: removing a node removes its relationships.
    source = models.ForeignKey(GraphNode, on_delete=models.CASCADE, related_name="edges_out")
    target = models.ForeignKey(GraphNode, on_delete=models.CASCADE, related_name="edges_in")
    # RELATED_TO's own `type` ("ally", "enemy"): part of its identity; blank otherwise.
    key = models.CharField(max_length=50, blank=True)
    properties = models.JSONField(default=empty_dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["type", "source", "target", "key"], name="unique_graph_edge"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -[{self.type}]-> {self.target_id}"


class BrainDocument(models.Model):
    """A searchable brain document (spec 3.2 stage 6) with its embedding."""

    doc_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=20)
    project_uid = models.CharField(max_length=64, db_index=True)
    text = models.TextField()
    metadata = models.JSONField(default=empty_dict)
    relationships = models.JSONField(default=empty_list)
    embedding = models.JSONField(default=empty_list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_uid", "type", "doc_id"]

    def __str__(self) -> str:
        return f"{self.type} {self.doc_id}"


# --- Who may do what on a project (spec 10.1); the policy is in brain/access.py ----------


class ProjectRole(models.TextChoices):
    """A user's role on one project. `viewer` is ours: read-only, for the wider crew."""

    VIEWER = "viewer"
    USER = "user"
    ADMIN = "admin"


class ProjectMembership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    role = models.CharField(max_length=10, choices=ProjectRole.choices, default=ProjectRole.USER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                name="unique_project_membership",
                violation_error_message="This user already belongs to the project.",
            )
        ]
        # Site-wide permissions of spec 10.1 ("system:admin", "system:metrics"), granted
        # in the admin like any Django permission; superusers have them all.
        permissions = [
            ("system_admin", "system:admin (Cypher console, site administration)"),
            ("system_metrics", "system:metrics (health details, site-wide analytics)"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} on {self.project}"
