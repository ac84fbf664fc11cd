"""County governance as recorded facts, one module per aggregate:

- `push_ledger`: `PushLedger` (one per department), every batch a department pushed, judged for
  push compliance (domain.md §5) against the cadence table;
- `meetings`: `Governance` (one per county), the monthly consultation and the quarterly dispatch
  meeting of domain.md §10, and the cadence tables adopted;
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

__all__ = [
    "GOVERNANCE_ID",
    "IMPORTS_ID",
    "PUSH_PERIOD",
    "CadenceTable",
    "Governance",
    "ImportLedger",
    "ImportRecord",
    "Meeting",
    "PushArrival",
    "PushLedger",
    "PushReceipt",
    "RecordedEvent",
    "check_push_period",
    "month_of_push_period",
    "push_ledger_id",
]
