"""The columns of the workbook that names the people on households (网格员, 帮扶责任人): read by
`application.staff_import`, written as a template by `application.imports.template`."""

from __future__ import annotations

from application.intake import Column

#: The columns of a staff workbook (keys are the commands' field names, so a refusal naming a
#: field names its column; the person's phone and name are told apart by the duty they belong to).
STAFF_COLUMNS: tuple[Column, ...] = (
    Column("code", "户编号", "household_code", True, help="已登记农户的户编号，每户一行"),
    Column("worker_name", "网格员姓名", "text", help="本村网格员；填写时须填网格员电话"),
    Column("worker_phone", "网格员电话", "text", help="11位手机号或带区号的固定电话"),
    Column("helper_name", "帮扶责任人姓名", "text",
           help="仅监测对象（或“四个不摘”跟踪帮扶的脱贫户）；填写时须填单位和电话"),
    Column("unit", "帮扶责任人单位", "text", help="帮扶责任人的工作单位"),
    Column("helper_phone", "帮扶责任人电话", "text", help="11位手机号或带区号的固定电话"),
    Column("occurred_on", "起始日期", "date", help="自该日起负责；不填为导入当日"),
    Column("reason", "更换原因", "text", help="本户已有另一名网格员或帮扶责任人时必填"),
)
