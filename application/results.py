"""An indicator result in its published form: what `fangpin indicators --format json`, the API
and the reports write, and what `Indicators.verify` reads back."""

from __future__ import annotations

from typing import Any

import msgspec

from application.indicators import IndicatorResult, figure_rows


def result_json(result: IndicatorResult) -> dict[str, Any]:
    """The published form of a result: everything `Indicators.verify` needs to check it."""
    data: dict[str, Any] = {
        "period": result.period.label,
        "scope": {"level": result.scope.level, "name": result.scope.name},
        "as_of": result.as_of.isoformat(),
        "position": result.position,
        "evaluated_on": result.evaluated_on.isoformat(),
        "source": result.source,
        "version": result.version,
        "cadences_digest": result.cadences_digest,
        "digest": result.digest,
        "figures": figure_rows(result.figures),
    }
    if result.detail is not None:
        data["detail"] = {
            "indicator": result.detail[0], "level": result.detail[1].level,
            "area": result.detail[1].name,
            "items": [msgspec.to_builtins(item) for item in result.items],
        }
    return data
