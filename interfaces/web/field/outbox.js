// The queue of commands recorded on the phone. Each item carries its own command id, sent as
// the API's Idempotency-Key (a repeat is recorded once and answered as the first time), and
// the version of the case file it was written against (Household-Version: if the household
// changed meanwhile the server records nothing and says so). Items go in the order recorded;
// one waiting for the worker's decision holds back the later items of its household.
//
// Photos go with a visit or an alert (photos.js): the app names the record itself (`visit_id`
// from the item's id), so it knows the fact to attach them to before the server answers.

import * as store from './store.js';
import * as photos from './photos.js';

export const KINDS = {
  visit: { name: '入户走访', path: (code) => `/api/households/${encodeURIComponent(code)}/visits`,
    record: { fact: 'visit', field: 'visit_id', prefix: 'V' } },
  alert: { name: '预警（走访发现问题）', path: (code) => `/api/households/${encodeURIComponent(code)}/alerts`,
    record: { fact: 'alert', field: 'alert_id', prefix: 'A' } },
  self_report: { name: '代录自主申报', path: (code) => `/api/households/${encodeURIComponent(code)}/alerts` },
};

export const STATUS = { queued: '待发送', recorded: '已记录', refused: '被拒绝', conflict: '冲突：该户档案已变动' };

/** The network or the server is not there now: try again later, nothing is lost. */
export class Unreachable extends Error {}

export async function items() {
  return (await store.all('outbox')).sort((a, b) => a.seq - b.seq);
}

/** Queue a command on a household as its case file stood when the form was filled, with the
 * photos taken (Blobs, already made small); a visit or alert gets its id here. */
export async function enqueue(kind, household, body, blobs = []) {
  const last = (await items()).at(-1);
  const id = crypto.randomUUID();
  const record = KINDS[kind].record;
  if (record) body = { ...body, [record.field]: `${record.prefix}-${id.slice(0, 8).toUpperCase()}` };
  const item = {
    id, seq: (last?.seq ?? 0) + 1, kind, code: household.code,
    head_name: household.head_name, body, based_on: household.version,
    fact: record ? `${record.fact}:${body[record.field]}` : null,
    files: blobs.map((blob) => ({ blob, status: 'queued', sha256: null, problem: null })),
    status: 'queued', written_at: new Date().toISOString(), answer: null, problem: null,
    changes: null, force: false,
  };
  await store.put('outbox', item);
  return item;
}

/** Send every queued item in order; `call(path, options)` is the app's API call. */
export async function sendAll(call) {
  const queue = await items(); // the recorded ones too: `against` reads them
  const waiting = new Set(queue.filter((i) => i.status === 'conflict').map((i) => i.code));
  let recorded = 0;
  for (const item of queue) {
    if (item.status === 'queued' && !waiting.has(item.code)) {
      await send(item, queue, call);
      if (item.status === 'conflict') waiting.add(item.code);
      if (item.status === 'recorded') recorded += 1;
    }
    if (photos.pending(item)) await photos.send(item, call); // the fact is recorded: no conflict
  }
  return recorded;
}

/** The version an item is sent against: the one its form saw, moved past our own items since
 * recorded on top of it, and their photos attached right after (the household changed by us is
 * no change by others). */
function against(item, queue) {
  let version = item.based_on;
  for (const done of queue) {
    if (done.code === item.code && done.status === 'recorded' && done.sent_on === version) {
      version = done.answer.version;
      if (done.evidence?.version === version + 1) version = done.evidence.version;
    }
  }
  return version;
}

async function send(item, queue, call) {
  item.sent_on = against(item, queue);
  const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': item.id };
  if (!item.force && item.sent_on) headers['Household-Version'] = String(item.sent_on);
  const response = await call(KINDS[item.kind].path(item.code),
    { method: 'POST', headers, body: JSON.stringify(item.body) });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 201) {
    item.status = 'recorded';
    item.answer = { ...answer, replayed: response.headers.get('Idempotent-Replayed') === 'true' };
  } else if (answer.code === 'CONCURRENT_CHANGE') {
    throw new Unreachable('服务器正忙，稍后重试');
  } else if (answer.code === 'HOUSEHOLD_CHANGED') {
    item.status = 'conflict';
    item.problem = answer;
    item.changes = await changesSince(item, call).catch(() => null);
  } else {
    item.status = 'refused';
    item.problem = { code: answer.code, detail: answer.detail || `服务器答复 ${response.status}`, field: answer.field };
  }
  await store.put('outbox', item);
}

/** What was recorded on the household after the version the item was written against. */
async function changesSince(item, call) {
  const response = await call(`/api/households/${encodeURIComponent(item.code)}/history`);
  const history = await response.json();
  return history.entries.filter((e) => e.version > item.sent_on).map((e) => e.sentence);
}

/** The worker saw what changed and still wants it recorded: send it without the version. */
export async function sendAnyway(id) {
  const item = await store.get('outbox', id);
  Object.assign(item, { status: 'queued', force: true });
  await store.put('outbox', item);
}

export const drop = (id) => store.remove('outbox', id);
