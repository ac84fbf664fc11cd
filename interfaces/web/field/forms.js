// The three forms a grid worker fills at the door, as the API's command bodies want them:
// a visit with its six checks (application/commands/visits.py RecordVisit), an alert from a
// failed check and a self-report taken down at the door (both RaiseAlert, by channel).
// The code tables come from the server (/app/forms.json), so no term is written twice.

/** Text made safe to put into HTML. */
export const esc = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const today = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
const amount = (text) => String(text ?? '').trim() || '0';

function field(name, label, input) {
  return `<div class="field" data-field="${name}"><label for="f-${name}">${label}</label>${input}</div>`;
}
const text = (name, label, value, extra = '') =>
  field(name, label, `<input id="f-${name}" name="${name}" value="${esc(value)}" ${extra}>`);
const day = (name, label) => text(name, label, today(), 'type="date" required');
const area = (name, label) => field(name, label, `<textarea id="f-${name}" name="${name}" rows="3"></textarea>`);
function choices(name, label, values, checked = []) {
  const boxes = values.map((v) => `<label><input type="checkbox" name="${name}" value="${esc(v)}"
    ${checked.includes(v) ? 'checked' : ''}> ${esc(v)}</label>`).join('');
  return `<div class="field" data-field="${name}"><span>${label}</span><div class="choices">${boxes}</div></div>`;
}
function select(name, label, values) {
  const options = ['', ...values].map((v) => `<option value="${esc(v)}">${esc(v) || '（无）'}</option>`).join('');
  return field(name, label, `<select id="f-${name}" name="${name}">${options}</select>`);
}
function person(household) {
  const known = household.members.filter((m) => m.current)
    .map((m) => `${esc(m.name)}（${esc(m.relation)}）${esc(m.id_number)}`).join('；');
  return text('person_id_number', '当事人身份证号码（看身份证填写18位）', '',
    'inputmode="text" autocomplete="off" maxlength="18"')
    + `<p class="muted">本户成员：${known}</p><p class="warn" id="person-check"></p>`;
}

/** The camera (or the phone's pictures): no name, so what it holds is never typed text. */
const camera = () => `<div class="field" data-field="photos"><label for="f-photos">照片（可拍多张，本机压缩后随记录发送）</label>
  <input id="f-photos" type="file" accept="image/*" capture="environment" multiple>
  <div id="photo-list" class="photos"></div></div>`;

/** The form's fields, in the order a worker fills them at the door. */
export function fields(kind, household, tables, worker) {
  if (kind === 'visit') {
    return day('occurred_on', '走访日期') + text('visitor', '走访人', worker)
      + choices('passed', '六项核实（勾选为已保障）', tables.checks, tables.checks)
      + text('income_change', '收入变化（元，可为负）', '0', 'inputmode="decimal"')
      + text('spending_change', '支出变化（元，可为负）', '0', 'inputmode="decimal"')
      + text('per_capita_income', '家庭人均纯收入（元/人·年，可不填）', '', 'inputmode="decimal"')
      + area('notes', '备注') + camera();
  }
  const failed = kind === 'alert'
    ? choices('failed', '未保障的项目（勾选后自动带出风险类型）', tables.checks) : '';
  return day('occurred_on', kind === 'alert' ? '发现之日' : '申报之日') + person(household) + failed
    + choices('risk_types', '风险类型', tables.risk_types)
    + select('disaster_kind', '自然灾害类型（因自然灾害时填写）', tables.disaster_kinds)
    + (kind === 'self_report' ? select('sudden_hardship', '突发困难类型', tables.sudden_hardships) : '')
    + area('description', kind === 'alert' ? '发现的情况' : '农户所述困难')
    + (kind === 'alert' ? camera() : '');
}

/** The command body the API takes, from what the form holds. */
export function body(kind, form, tables) {
  const values = (name) => [...form.querySelectorAll(`[name="${name}"]:checked`)].map((i) => i.value);
  const value = (name) => form.elements[name]?.value.trim() ?? '';
  if (kind === 'visit') {
    const passed = values('passed');
    return {
      visitor: value('visitor'), occurred_on: value('occurred_on'), notes: value('notes'),
      checks: Object.fromEntries(tables.checks.map((c) => [c, passed.includes(c)])),
      income_change: amount(value('income_change')), spending_change: amount(value('spending_change')),
      per_capita_income: value('per_capita_income') || null,
    };
  }
  const failed = kind === 'alert' ? values('failed') : [];
  const problems = failed.map((c) => tables.failed_check_signals[c].problem).filter(Boolean);
  const sent = {
    channel: tables.channels[kind], person_id_number: value('person_id_number').toUpperCase(),
    risk_types: values('risk_types'), description: value('description'),
    disaster_kind: value('disaster_kind') || null, occurred_on: value('occurred_on'),
  };
  if (problems.length) sent.problems = problems;
  if (kind === 'self_report') sent.sudden_hardship = value('sudden_hardship') || null;
  return sent;
}

/** A failed check ticks the risk type it signals (the rule a visit's own alert follows). */
export function onFailedCheck(form, tables, check) {
  const risk = tables.failed_check_signals[check].risk_type;
  const box = form.querySelector(`[name="risk_types"][value="${risk}"]`);
  if (box) box.checked = true;
}

/** Which current member an ID number typed fits, by the digits their masked number shows. */
export function memberOf(household, typed) {
  const number = typed.trim().toUpperCase();
  if (number.length !== 18) return null;
  return household.members.find((m) => m.current && m.id_number.length === 18
    && [...m.id_number].every((c, i) => c === '*' || c === number[i])) ?? null;
}

/** Everything typed so far (kept in IndexedDB as the worker types), and back into the form. */
export function typed(form) {
  return [...form.elements].filter((e) => e.name).map((e) => [e.name, e.value, e.checked]);
}
export function restore(form, saved) {
  for (const [name, value, checked] of saved) {
    for (const e of form.querySelectorAll(`[name="${name}"]`)) {
      if (e.type !== 'checkbox') e.value = value;
      else if (e.value === value) e.checked = checked;
    }
  }
}
