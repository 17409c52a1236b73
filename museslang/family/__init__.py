"""The public face of the family contract: the `Family` type a family brings, the field
names its declarations may use, and the lookups every stage asks (`get`, `find`, `names`,
`installed`, `display`, `success_metric`). It sits at the bottom of the house, so a stage
asking a family what it needs never imports the plug-in folder (`museslang.families`)."""

from __future__ import annotations

from museslang.family.discovery import (
    BROKEN,
    ENTRY_POINTS,
    FAMILIES,
    ON_REQUEST,
    STAGES,
    WRITTEN,
    declared,
    display,
    explainer,
    find,
    get,
    hook,
    installed,
    load,
    names,
    own_modules,
    success_metric,
    template_folders,
)
from museslang.family.model import (
    CONVERSATION_PROTOCOL,
    ONE_SHOT_PROTOCOL,
    SCENARIO_FIELDS,
    USER_FIELDS,
    Family,
    Parts,
    TruthPart,
)
from museslang.family.people import MakePerson, Person, conversing
from museslang.family.scope import overlay, using, written

__all__ = [
    "BROKEN",
    "CONVERSATION_PROTOCOL",
    "ENTRY_POINTS",
    "FAMILIES",
    "ONE_SHOT_PROTOCOL",
    "ON_REQUEST",
    "SCENARIO_FIELDS",
    "STAGES",
    "USER_FIELDS",
    "WRITTEN",
    "Family",
    "MakePerson",
    "Parts",
    "Person",
    "TruthPart",
    "conversing",
    "declared",
    "display",
    "explainer",
    "find",
    "get",
    "hook",
    "installed",
    "load",
    "names",
    "overlay",
    "own_modules",
    "success_metric",
    "template_folders",
    "using",
    "written",
]
