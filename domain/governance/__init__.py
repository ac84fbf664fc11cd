"""County governance as recorded facts, one module per aggregate:

- `push_ledger`: `PushLedger` (one per department), every batch a department pushed, judged for
  push compliance (domain.md §5) against the cadence table;
- `meetings`: `Governance` (one per county), the monthly consultation and the quarterly dispatch
  meeting of domain.md §10, the rectification items, and the cadence tables adopted;
- `rectification`: what a rectification item (限期整改) is, its status on a day, the checks of
  its commands and the counts per responsible unit;
- `import_ledger`: `ImportLedger`, every file imported, so none is imported twice;
- `recorded`: `RecordedEvent`, the base of these aggregates' events.
"""

from domain.governance.import_ledger import IMPORTS_ID, ImportLedger, ImportRecord
from domain.governance.meetings import GOVERNANCE_ID, CadenceTable, Governance, Meeting
from domain.governance.push_ledger import (
    PUSH_PERIOD,
    PushArrival,
    PushLedger,
    PushReceipt,
    check_push_period,
    month_of_push_period,
    push_ledger_id,
)
from domain.governance.recorded import RecordedEvent
from domain.governance.rectification import (
    AUDIT_SOURCE,
    RECTIFICATION_READING,
    DeadlineExtension,
    RectificationItem,
    RectificationStatus,
    UnitCount,
    count_by_unit,
    items_on,
)

__all__ = [
    "AUDIT_SOURCE",
    "GOVERNANCE_ID",
    "IMPORTS_ID",
    "PUSH_PERIOD",
    "RECTIFICATION_READING",
    "CadenceTable",
    "DeadlineExtension",
    "Governance",
    "ImportLedger",
    "ImportRecord",
    "Meeting",
    "PushArrival",
    "PushLedger",
    "PushReceipt",
    "RecordedEvent",
    "RectificationItem",
    "RectificationStatus",
    "UnitCount",
    "check_push_period",
    "count_by_unit",
    "items_on",
    "month_of_push_period",
    "push_ledger_id",
]
