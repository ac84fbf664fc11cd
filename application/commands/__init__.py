"""The commands on the county's households, each one typed Struct, declared once.

The API decodes a request's body into the command (`request_body` when some fields are named in
the path), the workbench builds its form from it, the application runs it on the household
(`CaseFiles.execute`) and the demo builds it. `HOUSEHOLD_COMMANDS` is the one list: the API's
routes, the workbench's forms and the permissions are checked against it, so a new command is a
Struct in its chapter's module and a line here (and its route).
"""

from __future__ import annotations

from application.commands.alerts import RaiseAlert
from application.commands.appeals import AnswerAppeal, LodgeAppeal
from application.commands.base import HouseholdCommand, Recording, command_from, request_body
from application.commands.corrections import Correct
from application.commands.elimination import (
    EliminationCountyDecision,
    EliminationDecision,
    EliminationNotice,
    EliminationTownshipReview,
    VerifyElimination,
)
from application.commands.evidence import AttachEvidence
from application.commands.help import (
    AnalyseRisk,
    AssignMeasure,
    EndMeasure,
    PayReliefInsurance,
    PutMeasureInPlace,
    SubsidiseMedicalInsurance,
)
from application.commands.households import (
    JoinMember,
    LeaveMember,
    MemberChanges,
    MemberIn,
    RegisterHousehold,
    UpdateMember,
)
from application.commands.identification import (
    CountyDecision,
    ObjectionIn,
    OpenGreenChannel,
    TownshipReview,
    VerifyAtHome,
    VillageDeliberation,
)
from application.commands.staff import (
    AssignGridWorker,
    AssignHelper,
    ChangeGridWorker,
    ChangeHelper,
    ConfirmHelper,
    EndGridWorker,
    EndHelper,
)
from application.commands.visits import AssessIncome, RecordVisit

#: Every command on a registered household, in the order of the notice.
HOUSEHOLD_COMMANDS: tuple[type[HouseholdCommand], ...] = (
    JoinMember,
    LeaveMember,
    UpdateMember,
    RaiseAlert,
    VerifyAtHome,
    VillageDeliberation,
    TownshipReview,
    CountyDecision,
    OpenGreenChannel,
    AnalyseRisk,
    AssignMeasure,
    PutMeasureInPlace,
    EndMeasure,
    SubsidiseMedicalInsurance,
    PayReliefInsurance,
    RecordVisit,
    AssessIncome,
    VerifyElimination,
    EliminationNotice,
    EliminationTownshipReview,
    EliminationCountyDecision,
    AssignGridWorker,
    ChangeGridWorker,
    EndGridWorker,
    AssignHelper,
    ChangeHelper,
    ConfirmHelper,
    EndHelper,
    Correct,
    LodgeAppeal,
    AnswerAppeal,
    AttachEvidence,
)

#: The commands on a household by their stable name.
BY_NAME: dict[str, type[HouseholdCommand]] = {command.name: command for command in HOUSEHOLD_COMMANDS}

__all__ = [
    "BY_NAME",
    "HOUSEHOLD_COMMANDS",
    "AnalyseRisk",
    "AnswerAppeal",
    "AssessIncome",
    "AssignGridWorker",
    "AssignHelper",
    "AssignMeasure",
    "AttachEvidence",
    "ChangeGridWorker",
    "ChangeHelper",
    "ConfirmHelper",
    "Correct",
    "CountyDecision",
    "EliminationCountyDecision",
    "EliminationDecision",
    "EliminationNotice",
    "EliminationTownshipReview",
    "EndGridWorker",
    "EndHelper",
    "EndMeasure",
    "HouseholdCommand",
    "JoinMember",
    "LeaveMember",
    "LodgeAppeal",
    "MemberChanges",
    "MemberIn",
    "ObjectionIn",
    "OpenGreenChannel",
    "PayReliefInsurance",
    "PutMeasureInPlace",
    "RaiseAlert",
    "RecordVisit",
    "Recording",
    "RegisterHousehold",
    "SubsidiseMedicalInsurance",
    "TownshipReview",
    "UpdateMember",
    "VerifyAtHome",
    "VerifyElimination",
    "VillageDeliberation",
    "command_from",
    "request_body",
]
