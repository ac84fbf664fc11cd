"""The county's 防贫保 payout bands (赔付标准): county data set by the county centre like the
income line (domain.md §7), each schedule an event with the day it takes effect.

A schedule holds, per cause (因病、因自然灾害、因意外事故), bands of out-of-pocket cost (自付费用或
损失) with the share of the cost within each band that is paid, and a cap per household per
year. A payout is judged by the schedule in force on its day (`ReliefBandsPolicy.bands_on`):
above what the bands give for its cost, or past the year's cap, it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.codes import RiskType
from domain.errors import InvalidValue
from domain.governance.recorded import RecordedEvent
from domain.periods import in_force
from domain.rules import RELIEF_CAUSES, is_amount, local_date
from domain.values import Actor

RELIEF_BANDS_POLICY_ID: UUID = uuid5(NAMESPACE_URL, "https://fangpin.example/policy/relief-bands")
_FEN = Decimal("0.01")


@dataclass(frozen=True)
class ReliefBand:
    """One band: for ``cause``, the part of the out-of-pocket cost above ``cost_from`` and up to
    ``cost_to`` (no upper end when None) is paid at ``rate`` (0 < rate ≤ 1)."""

    cause: RiskType
    cost_from: Decimal
    cost_to: Decimal | None
    rate: Decimal

    def describe(self) -> str:
        """The band as the county's notice states it, e.g. "因病 5000–20000 元按 50% 赔付"."""
        span = (f"{self.cost_from}–{self.cost_to} 元" if self.cost_to is not None
                else f"{self.cost_from} 元以上")
        return f"{self.cause} {span}按 {(self.rate * 100).normalize():f}% 赔付"


@dataclass(frozen=True)
class ReliefBands:
    """The schedule in force from ``effective_from``: its bands and the yearly cap per household."""

    effective_from: date
    bands: tuple[ReliefBand, ...]
    yearly_cap: Decimal
    reason: str = ""

    def ceiling(self, cause: RiskType, out_of_pocket: Decimal) -> Decimal | None:
        """The most the bands pay for ``out_of_pocket`` of ``cause`` (to the fen, never above the
        cap); None when the cost reaches no band of that cause (below its threshold, 起付线)."""
        bands = [b for b in self.bands if b.cause is cause and out_of_pocket > b.cost_from]
        if not bands:
            return None
        paid = sum(
            (b.rate * ((out_of_pocket if b.cost_to is None else min(out_of_pocket, b.cost_to))
                       - b.cost_from) for b in bands),
            Decimal(0),
        )
        return min(paid.quantize(_FEN, rounding=ROUND_DOWN), self.yearly_cap)

    def threshold(self, cause: RiskType) -> Decimal | None:
        """The cost a payout of ``cause`` must exceed (起付线); None: the cause has no band."""
        return min((b.cost_from for b in self.bands if b.cause is cause), default=None)


def checked_bands(bands: Sequence[ReliefBand], yearly_cap: Decimal) -> tuple[ReliefBand, ...]:
    """The bands in order (by cause, then cost), refused unless each is a sudden-hardship cause
    with a valid cost range and rate, the bands of a cause do not overlap, and the cap is a
    positive amount."""
    if not bands:
        raise InvalidValue("BANDS_REQUIRED", "至少填写一档赔付标准", "bands")
    if not is_amount(yearly_cap) or yearly_cap <= 0:
        raise InvalidValue("AMOUNT_INVALID", "年度赔付上限须为大于0的金额", "yearly_cap")
    for n, band in enumerate(bands):
        field = f"bands[{n}]"
        if band.cause not in RELIEF_CAUSES:
            raise InvalidValue(
                "RELIEF_CAUSE_NOT_SUDDEN",
                f"“防贫保”只救助因灾因病因疫因意外等突发困难，不能为“{band.cause}”设赔付标准",
                f"{field}.cause",
            )
        if not is_amount(band.cost_from) or band.cost_from < 0:
            raise InvalidValue("AMOUNT_INVALID", "起付金额须为不小于0的金额", f"{field}.cost_from")
        if band.cost_to is not None and (not is_amount(band.cost_to) or band.cost_to <= band.cost_from):
            raise InvalidValue("BAND_RANGE", "每档的上限须大于起付金额", f"{field}.cost_to")
        if not isinstance(band.rate, Decimal) or not band.rate.is_finite() or not 0 < band.rate <= 1:
            raise InvalidValue("BAND_RATE", "赔付比例须大于0、不超过1", f"{field}.rate")
    ordered = tuple(sorted(bands, key=lambda b: (list(RiskType).index(b.cause), b.cost_from)))
    for before, after in ((ordered[n - 1], ordered[n]) for n in range(1, len(ordered))):
        if before.cause is after.cause and (before.cost_to is None or after.cost_from < before.cost_to):
            raise InvalidValue(
                "BANDS_OVERLAP",
                f"{after.cause}的赔付档次重叠：{before.describe()}；{after.describe()}",
                "bands",
            )
    return ordered


class ReliefBandsPolicy(Aggregate):
    """The county's 防贫保 payout bands, schedule by schedule."""

    TOPIC = "fangpin:ReliefBandsPolicy"

    schedules: dict[date, ReliefBands]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:ReliefBandsPolicy.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:ReliefBandsPolicy.Started"

        def apply_to(self, policy: ReliefBandsPolicy) -> None:
            policy.schedules = {}
            policy.command_ids = {}

    class ReliefBandsSet(Event):
        """A schedule was set from a day; setting the same day again supersedes it (with why)."""

        TOPIC = "fangpin:ReliefBandsPolicy.ReliefBandsSet"
        effective_from: date
        bands: tuple[ReliefBand, ...]
        yearly_cap: Decimal
        reason: str

        def apply_to(self, policy: ReliefBandsPolicy) -> None:
            policy.schedules[self.effective_from] = ReliefBands(
                self.effective_from, tuple(self.bands), self.yearly_cap, self.reason
            )

    def __init__(self) -> None:
        """State is set by `Started.apply_to`; use `ReliefBandsPolicy.start`."""

    @classmethod
    def start(cls, *, occurred_on: date, by: Actor, at: datetime) -> ReliefBandsPolicy:
        return cls._create(
            cls.Started, id=RELIEF_BANDS_POLICY_ID, timestamp=at, occurred_on=occurred_on,
            recorded_by=by, command_id="",
        )

    def set_bands(
        self, *, effective_from: date, bands: Sequence[ReliefBand], yearly_cap: Decimal,
        reason: str = "", occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Set the schedule in force from ``effective_from`` (until a later one takes over).
        Setting a day that has a schedule needs a reason."""
        if not isinstance(effective_from, date) or not 2000 <= effective_from.year <= 2100:
            raise InvalidValue("EFFECTIVE_DATE", "生效日期须在2000年至2100年之间", "effective_from")
        ordered = checked_bands(bands, yearly_cap)
        if occurred_on > local_date(at):
            raise InvalidValue("DATE_IN_FUTURE", f"发生日期 {occurred_on} 晚于登记日期", "occurred_on")
        if effective_from in self.schedules and not reason.strip():
            raise InvalidValue(
                "REASON_REQUIRED", f"{effective_from} 起已有防贫保赔付标准，调整须说明原因", "reason"
            )
        self.trigger_event(
            self.ReliefBandsSet, timestamp=at, occurred_on=occurred_on, recorded_by=by,
            command_id=command_id, effective_from=effective_from, bands=ordered,
            yearly_cap=yearly_cap, reason=reason.strip(),
        )

    def bands_on(self, day: date) -> ReliefBands | None:
        """The schedule in force on ``day``: the latest whose effective date is not after it."""
        return in_force(self.schedules.items(), day)
