"""A synthetic demo county (涞源县-like): households and a year of case-file events — the twelve
months up to a last day (`fangpin demo`: the county's today), so that every screen shows this
month.

`generate_county` streams `Household` aggregates, one at a time, each carrying the pending (not
yet saved) events of its registration and of a year of the notice's processes: alerts from the
three channels (with provincial-then-county duplicate pushes), the four identification steps
(with rejections, late cases and the green channel), risk analysis, help measures, medical
insurance subsidies, 防贫保 payouts, monthly visits (a failed check raises a channel-2 alert),
income assessments, risk elimination in four steps, re-entries, corrections and members joining
and leaving. Every fact goes through the aggregate's public methods, so every rule of the domain
is respected; the generator asks the case file (and `domain.rules`) what is allowed before it acts,
as a careful county worker would. A `DomainError` raised here is a bug of the generator.

Everything is derived from ``random.Random`` instances seeded from the seed and the last day: no
global random state and no clock (the caller gives the last day, and the moment nothing may be
recorded after). Household ``i`` is the same whatever the number of households asked for, so a
bigger demo extends a smaller one. Rare processes are spread by a deck per block of 100
households (how many 脱贫户, how many risk episodes and how they end), so that even a small demo
shows every process at plausible rates.

`load_demo` sets the income lines and saves the households in batches, idempotently: households
already in the log (recognised by their registration command id) are skipped, so loading the same
demo again records nothing, and an interrupted load resumes. Last it sends the departments'
batches through the API's push path, so every receipt counts the alerts its rows became.

The package, by chapter: `county` (villages, names, workers, ID numbers, income line), `families`
(who lives in a household), `tables` (the deck, case scripts and risk and help tables), `year`
(a household's agenda and how its actions are recorded), `members`, `cases` (alerts and
identification), `help` (help, visits and income), `elimination` (risk elimination and
corrections), `simulation` (`generate_county`), `window` (the demo's year), `load` (`load_demo`),
`pushes` (the year's push schedule, each department alert a row of its batch, the batches sent),
`governance` (meetings, rectification) and `users` (demo users).
"""

from __future__ import annotations

from application.demo.county import (
    COUNTY_AREA_CODE,
    COUNTY_NAME,
    Village,
    county,
    income_line,
    income_line_on,
)
from application.demo.load import (
    DemoAlreadyLoaded,
    DemoConflict,
    DemoSummary,
    load_demo,
    registration_command_id,
)
from application.demo.simulation import generate_county
from application.demo.users import DEMO_TOKENS, demo_users, ensure_demo_users, link_demo_grid_worker
from application.demo.window import DEMO_UNTIL, DemoWindow

__all__ = [
    "COUNTY_AREA_CODE",
    "COUNTY_NAME",
    "DEMO_TOKENS",
    "DEMO_UNTIL",
    "DemoAlreadyLoaded",
    "DemoConflict",
    "DemoSummary",
    "DemoWindow",
    "Village",
    "county",
    "demo_users",
    "ensure_demo_users",
    "generate_county",
    "income_line",
    "income_line_on",
    "link_demo_grid_worker",
    "load_demo",
    "registration_command_id",
]
