"""The evidence's Frictionless Data Package descriptor, read into typed objects.

``evidence/datapackage.json`` is the single statement of each table's columns, types, enums,
keys and foreign keys. The loader and the validator both read it from here, so that the
standard tools (``frictionless validate``) and this package check the same contract.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

DESCRIPTOR = "datapackage.json"
TRUE_VALUES = frozenset({"true", "True", "TRUE", "1"})
FALSE_VALUES = frozenset({"false", "False", "FALSE", "0"})
_INTEGER = re.compile(r"^[+-]?[0-9]+$", re.ASCII)
#: A number as a spreadsheet writes one: ASCII digits, one point, an optional exponent. Python's
#: float() also reads "1_4.8", "١٤" and "inf", which no data file should hold.
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$", re.ASCII)


@dataclass(frozen=True)
class Field:
    """One column of a table: its Table Schema type and constraints."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: re.Pattern[str] | None = None

    def parse(self, text: str) -> Any:
        """Convert a non-empty cell to a Python value; raise ValueError naming the expected type."""
        if self.type == "string":
            return text
        if self.type == "integer":
            if not _INTEGER.fullmatch(text):
                raise ValueError("is not an integer")
            value = int(text)
            if not -(2**63) <= value < 2**63:
                raise ValueError("is too large for an integer (at most 2^63 - 1)")
            return value
        if self.type == "number":
            if not _NUMBER.fullmatch(text):
                if text.strip().lstrip("+-").lower() in ("inf", "infinity", "nan"):
                    raise ValueError("is not a finite number")
                raise ValueError("is not a number (plain digits with a decimal point)")
            value = float(text)
            if value in (float("inf"), float("-inf")):
                raise ValueError("is not a finite number")
            return value
        if self.type == "boolean":
            if text in TRUE_VALUES:
                return True
            if text in FALSE_VALUES:
                return False
            raise ValueError("is not a boolean (true or false)")
        if self.type == "date":
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise ValueError("is not a date (YYYY-MM-DD)") from None
        raise ValueError(f"has unsupported type {self.type!r}")


@dataclass(frozen=True)
class ForeignKey:
    """Values of ``fields`` must exist in ``resource``'s ``reference_fields``."""

    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class Resource:
    """One CSV table of the package."""

    name: str
    path: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    title: str = ""
    description: str = ""
    missing_values: frozenset[str] = frozenset({""})

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Package:
    """The whole descriptor: resources in order."""

    name: str
    resources: tuple[Resource, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def version(self) -> str:
        """The data release (``version`` of the descriptor), e.g. "2.0.0"."""
        return str(self.raw.get("version", ""))

    @property
    def created(self) -> str:
        """When the release was made (``created``, ISO 8601), or ""."""
        return str(self.raw.get("created", ""))

    def resource(self, name: str) -> Resource:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)


def _as_tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _field(spec: dict[str, Any]) -> Field:
    c = spec.get("constraints", {})
    pattern = c.get("pattern")
    return Field(
        name=spec["name"],
        type=spec.get("type", "string"),
        description=spec.get("description", ""),
        required=bool(c.get("required", False)),
        unique=bool(c.get("unique", False)),
        enum=tuple(c["enum"]) if "enum" in c else None,
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        pattern=re.compile(pattern) if pattern else None,
    )


def read_package(folder: Path) -> Package:
    """Read ``folder/datapackage.json``; a descriptor that is not valid JSON, lacks what a table
    needs, or points outside the folder is refused with an :class:`EvidenceError`."""
    from .errors import EvidenceError
    from .validation import Violation

    def refuse(rule: str, line: int | None = None) -> EvidenceError:
        return EvidenceError([Violation(DESCRIPTOR, line, None, None, rule)], folder=str(folder))

    try:
        raw = json.loads((folder / DESCRIPTOR).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise refuse(f"is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise refuse(f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("resources"), list):
        raise refuse("must be a JSON object with a list of resources")
    root = folder.resolve()
    resources = []
    for i, r in enumerate(raw["resources"]):
        where = f"resource {i + 1}"
        try:
            name, path, schema = r["name"], r["path"], r["schema"]
            fields = schema["fields"]
        except (KeyError, TypeError):
            raise refuse(f"{where} needs a name, a path and a schema with fields") from None
        if not isinstance(path, str) or not isinstance(fields, list) or not fields:
            raise refuse(f"{where} ({name}): path must be a string and fields a non-empty list")
        target = (folder / path).resolve()
        if Path(path).is_absolute() or not target.is_relative_to(root):
            raise refuse(f"{where} ({name}): path {path!r} leads outside the evidence folder")
        try:
            resources.append(
                Resource(
                    name=name,
                    path=path,
                    title=r.get("title", ""),
                    description=r.get("description", ""),
                    fields=tuple(_field(f) for f in fields),
                    primary_key=_as_tuple(schema.get("primaryKey", ())),
                    foreign_keys=tuple(
                        ForeignKey(
                            fields=_as_tuple(fk["fields"]),
                            resource=fk["reference"]["resource"],
                            reference_fields=_as_tuple(fk["reference"]["fields"]),
                        )
                        for fk in schema.get("foreignKeys", ())
                    ),
                    missing_values=frozenset(schema.get("missingValues", [""])),
                )
            )
        except (KeyError, TypeError, AttributeError, re.error) as exc:
            raise refuse(
                f"{where} ({name}): malformed schema ({type(exc).__name__}: {exc})"
            ) from None
    return Package(name=raw.get("name", ""), resources=tuple(resources), raw=raw)
