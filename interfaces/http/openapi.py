"""What the served OpenAPI schema states beyond litestar's own generation, so that a request the
schema calls valid is one the server takes up, and one it calls invalid one the server refuses.

* What a Struct declares (`StatedStructs`, a schema plugin for every Struct): msgspec decodes
  the bodies, so its own JSON Schema of a Struct is the truth; litestar 2.25 leaves out a
  body's ``additionalProperties: false`` (``forbid_unknown_fields``), a bound of 0, the bounds
  of a list's items and a field's ``extra_json_schema`` (an amount's pattern), and rounds big
  integer bounds to floats — they are put back. A dict keyed by a code table names its keys.
* What the edge holds every request to (`StatedDocument`, the render plugin of
  ``openapi.json``, once per app): no control character in any text (`domain.text`), dates
  within 1990–2100 (`interfaces.http.limits`) — patterns on every string and date of every
  parameter and request body; a value of any type (or a field an open object ignores) is any
  JSON whose texts are text (`JSON_TEXT`). Besides: a parameter's bounds as declared (the same
  litestar slip) and the other format a route answers in (``opt["also_answers"]``).

Forms of their own (``as_of``, periods, sort keys, indicator names) are stated where the
parameters are declared. A rule no schema can state (an ID number's check digit, a step out of
order, a position the log has not reached) stays the server's: 409 or 422 with its ``code``.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import msgspec.inspect as mi
from litestar import Litestar, Request
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin  # 2.25, pinned
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Schema
from litestar.params import KwargDefinition
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from domain.text import CONTROL_CHARACTERS
from interfaces.http.limits import DATE_PATTERN

#: Every text a request carries: no control character (the edge refuses one with 422).
TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*$"
#: A parameter's bound as declared, which litestar 2.25 drops when it is 0: (bound, keyword).
_BOUNDS = (("ge", "minimum"), ("gt", "exclusiveMinimum"), ("le", "maximum"), ("lt", "exclusiveMaximum"))
#: The JSON Schema keywords that bound a value, with litestar's `Schema` attribute for each.
_CONSTRAINTS = {
    "minimum": "minimum", "maximum": "maximum", "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum", "multipleOf": "multiple_of",
    "minLength": "min_length", "maxLength": "max_length", "pattern": "pattern",
    "minItems": "min_items", "maxItems": "max_items",
    "minProperties": "min_properties", "maxProperties": "max_properties",
}
#: The component standing for any JSON value whose texts and field names are all text (what
#: the edge takes for a value of any type, or a field an open object ignores).
JSON_TEXT = "JsonText"
_JSON_TEXT_SCHEMA = {
    "description": "任意 JSON 值，其中的文本与字段名不含控制字符",
    "anyOf": [
        {"type": ["null", "boolean", "number"]},
        {"type": "string", "pattern": TEXT_PATTERN},
        {"type": "array", "items": {"$ref": f"#/components/schemas/{JSON_TEXT}"}},
        {"type": "object", "propertyNames": {"pattern": TEXT_PATTERN},
         "additionalProperties": {"$ref": f"#/components/schemas/{JSON_TEXT}"}},
    ],
}


class StatedStructs(StructSchemaPlugin):
    """Litestar's schema of a Struct, with every bound msgspec holds its fields to.

    msgspec decodes the bodies, so its own JSON Schema of a Struct is what the server enforces;
    litestar's leaves some of it out (``additionalProperties: false``, a bound of 0, the bounds
    of a list's items, a field's ``extra_json_schema``) or rounds it (a bound past 2**53)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        (ref,), components = msgspec.json.schema_components([struct])
        declared = components[ref["$ref"].rsplit("/", 1)[-1]]
        if declared.get("additionalProperties") is False:
            schema.additional_properties = False
        fields = {f.encode_name: f for f in mi.type_info(struct).fields}  # type: ignore[attr-defined]
        for name, stated in (schema.properties or {}).items():
            _merge(stated, declared["properties"].get(name, {}))
            keys = _key_type(fields[name].type)
            if isinstance(stated, Schema) and isinstance(keys, mi.EnumType):
                stated.property_names = schema_creator.for_field_definition(
                    FieldDefinition.from_annotation(keys.cls))
        return schema


def _merge(stated: Schema | Any, declared: dict[str, Any]) -> None:
    """Copy onto ``stated`` (litestar's) the bounds of ``declared`` (msgspec's) it lacks or
    rounds, through ``X | None`` (litestar's oneOf, msgspec's anyOf), items and mapped values."""
    if not isinstance(stated, Schema) or "$ref" in declared:
        return
    declared = _not_null(declared.get("anyOf")) or declared
    inner = _not_null(stated.one_of) or stated
    if not isinstance(inner, Schema):
        return
    for keyword, attribute in _CONSTRAINTS.items():
        value, current = declared.get(keyword), getattr(stated, attribute)
        if value is not None and (current != value or type(current) is not type(value)):
            setattr(inner, attribute, value)
            if inner is not stated:
                setattr(stated, attribute, None)
    if isinstance(declared.get("items"), dict):
        _merge(inner.items, declared["items"])
    if isinstance(declared.get("additionalProperties"), dict):
        _merge(inner.additional_properties, declared["additionalProperties"])


def _not_null(members: Any) -> Any:
    """The one member of a union with null that is not null (None when there is no such one)."""
    others = [m for m in members or [] if not _is_null(m)]
    return others[0] if len(others) == 1 else None


def _is_null(member: Any) -> bool:
    kind = member.get("type") if isinstance(member, dict) else getattr(member, "type", None)
    return getattr(kind, "value", kind) == "null"


def _key_type(field: mi.Type) -> mi.Type | None:
    """The key type of a dict field (through ``| None`` and metadata), else None."""
    if isinstance(field, mi.UnionType):
        others = [t for t in field.types if not isinstance(t, mi.NoneType)]
        field = others[0] if len(others) == 1 else field
    field = field.type if isinstance(field, mi.Metadata) else field
    return field.key_type if isinstance(field, mi.DictType) else None


class StatedDocument(JsonRenderPlugin):
    """``openapi.json``, stating what the edge holds every request to (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        self._stated: set[int] = set()

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if id(openapi_schema) not in self._stated:  # litestar keeps one document per app
            state_document(request.app, openapi_schema)
            self._stated.add(id(openapi_schema))
        return super().render(request, openapi_schema)


def state_document(app: Litestar, document: dict[str, Any]) -> None:
    """State the edge's rules on every parameter and request body of ``document``, the bounds
    litestar leaves out of a parameter, the other formats a route answers in, and the routes
    that need no token."""
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = document.get("paths", {}).get(route.path_format, {})
        for method, (handler, _) in route.route_handler_map.items():
            operation = path.get(method.lower())
            if operation is None:
                continue
            kwargs = _parameter_kwargs(handler.parsed_fn_signature.parameters)
            for parameter in operation.get("parameters", []):
                _state_bounds(parameter["schema"], kwargs.get(parameter["name"]))
                _state_text(parameter["schema"], components, seen)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                _state_text(content.get("schema", {}), components, seen)
            _state_other_formats(operation, handler.opt.get("also_answers", ()))
            if handler.opt.get("public"):  # served without a token (`auth.PUBLIC_PATHS`)
                operation["security"] = []


def _state_other_formats(operation: dict[str, Any], media_types: Any) -> None:
    """A route that answers in another format too, on request (``opt["also_answers"]``: a
    report as a workbook), documents it beside the first."""
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            for media_type in media_types:
                response.setdefault("content", {})[media_type] = {"schema": {"type": "string"}}
            return


def _parameter_kwargs(fields: dict[str, FieldDefinition]) -> dict[str, KwargDefinition]:
    """A handler's parameter declarations by the name the schema gives them."""
    found = {}
    for name, field in fields.items():
        kwarg = field.kwarg_definition
        if isinstance(kwarg, KwargDefinition):
            found[getattr(kwarg, "name", None) or name] = kwarg
    return found


def _state_bounds(schema: dict[str, Any], kwarg: KwargDefinition | None) -> None:
    """A parameter's bounds as declared (litestar drops a 0 and may make an integer a float)."""
    for bound, keyword in _BOUNDS:
        if kwarg is not None and (value := getattr(kwarg, bound, None)) is not None:
            schema[keyword] = value


def _state_text(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> None:
    """Every text under ``schema`` without a pattern of its own gets `TEXT_PATTERN`, every date
    `DATE_PATTERN`; request bodies' components are followed (each once)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _state_text(components.get(name, {}), components, seen)
        return
    if "pattern" in schema or "enum" in schema or "const" in schema:
        return
    for keyword in ("oneOf", "anyOf", "allOf"):
        for member in schema.get(keyword, []):
            _state_text(member, components, seen)
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date":
            schema["pattern"] = DATE_PATTERN
        elif "format" not in schema and "contentMediaType" not in schema:
            schema["pattern"] = TEXT_PATTERN
    elif kind == "array" and isinstance(schema.get("items"), dict):
        _state_text(schema["items"], components, seen)
    elif kind == "object":
        for member in schema.get("properties", {}).values():
            _state_text(member, components, seen)
        extra = schema.get("additionalProperties", {})
        if extra is not False:
            if extra == {}:  # any value at all: any JSON whose texts are text
                components.setdefault(JSON_TEXT, copy.deepcopy(_JSON_TEXT_SCHEMA))
                schema["additionalProperties"] = {"$ref": f"#/components/schemas/{JSON_TEXT}"}
            else:
                _state_text(extra, components, seen)
            schema.setdefault("propertyNames", {"pattern": TEXT_PATTERN})

