// 防贫走访: the grid worker's offline app. It signs in once, keeps the worker's households on
// the phone (IndexedDB, as the API shows them to this worker: own village, ID numbers masked),
// records visits, alerts and self-reports into a queue with the network off, and sends the
// queue when the network returns (outbox.js), showing the server's answer to each item.

import * as store from './store.js';
import * as outbox from './outbox.js';
import * as forms from './forms.js';
import * as photos from './photos.js';

const { esc } = forms;

const $ = (selector) => document.querySelector(selector);
/** Where the app is served: '' at /app/, '/c/130630' for a county of a many-county server. */
const BASE = location.pathname.slice(0, location.pathname.lastIndexOf('/app/'));
const local = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '无');
const PAGE = 500; // the API's largest page
let tables = null;
let syncing = false;
let syncAgain = false;

// ------------------------------------------------------------------ the server

/** The token the server no longer takes: the phone's copy is wiped. */
class SignedOut extends Error {}

/** Why the server no longer takes the phone's session (its 401 code), as the worker is told.
 * Only an expired session keeps the phone's copy: the same worker signs in again and the queue
 * goes out; every other reason wipes it. */
const ENDED = {
  SESSION_EXPIRED: '登录已过期',
  SIGNED_OUT: '该手机已退出登录',
  PASSWORD_CHANGED: '密码已更改',
  USER_DISABLED: '该用户已停用',
  SESSION_REVOKED: '登录已被撤销',
};

async function call(path, options = {}) {
  const session = await store.meta('session');
  if (!session || session.expired) throw new SignedOut();
  let response;
  try {
    response = await fetch(BASE + path, { ...options, headers: { ...options.headers, Authorization: `Bearer ${session.token}` } });
  } catch {
    throw new outbox.Unreachable('无法连接服务器');
  }
  if (response.status === 401) {
    const { code } = await response.json().catch(() => ({}));
    if (code === 'SESSION_EXPIRED') {
      await store.setMeta('session', { ...session, token: null, expired: true });
      const unsent = await unsentCount();
      note(`${ENDED[code]}，请重新登录。${unsent ? `本机未发送的 ${unsent} 项仍保存着，登录后自动发送。` : ''}`);
      await render();
    } else {
      await wipe(`${ENDED[code] ?? '登录已失效或已被停用'}，本机保存的资料已清除，请重新登录。`);
    }
    throw new SignedOut();
  }
  if (response.status >= 500 || response.status === 429) {
    throw new outbox.Unreachable(`服务器暂时无法答复（${response.status}）`);
  }
  return response;
}

async function pages(path, params) {
  const rows = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ ...params, limit: PAGE, ...(cursor ? { cursor } : {}) });
    const page = await (await call(`${path}?${query}`)).json();
    rows.push(...page.rows);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}

/** Download the worker's households, their visits due and tasks; a case file only when its
 * version moved since the last download. */
async function download() {
  const tasks = await (await call('/api/me/tasks')).json();
  const mine = tasks.grid_worker ? { grid_worker: tasks.grid_worker } : {};
  const [rows, due] = await Promise.all([pages('/api/households', mine), pages('/api/visits-due', mine)]);
  const dueCodes = new Set(due.map((row) => row.code));
  const kept = new Map((await store.all('households')).map((h) => [h.code, h]));
  const households = [];
  for (const row of rows) {
    let file = kept.get(row.code)?.file;
    if (!file || file.version !== row.version) {
      file = await (await call(`/api/households/${encodeURIComponent(row.code)}`)).json();
    }
    households.push({ ...row, version: file.version, members: file.members, file, due: dueCodes.has(row.code) });
  }
  await store.replaceAll('households', households);
  await store.setMeta('tasks', { today: tasks.today, counts: tasks.counts, grid_worker: tasks.grid_worker });
  await store.setMeta('downloaded_at', new Date().toISOString());
}

/** Send the queue, then download what the server now holds. */
async function sync() {
  if (syncing) return void (syncAgain = true); // an item saved meanwhile goes right after
  const session = await store.meta('session');
  if (!session || session.expired) return; // signed in again, it sends
  syncing = true;
  syncAgain = false;
  try {
    setNet('正在同步…');
    const recorded = await outbox.sendAll(call);
    await download();
    setNet('已同步');
    if (recorded) note(`已发送 ${recorded} 项。`);
  } catch (error) {
    if (error instanceof outbox.Unreachable) setNet(`离线：${error.message}，联网后自动发送`);
    else if (!(error instanceof SignedOut)) throw error;
  } finally {
    syncing = false;
    await render();
  }
  if (syncAgain) await sync();
}

async function wipe(message) {
  await store.wipe();
  note(message);
  location.hash = '#/';
  await render();
}

// ------------------------------------------------------------------ the page

function note(message) {
  $('#notice').textContent = message || '';
  $('#notice').hidden = !message;
}
const setNet = (text) => { $('#net').textContent = navigator.onLine ? text : '离线（无网络）'; };

async function unsentCount() {
  return (await outbox.items()).filter((i) => i.status === 'queued' || i.status === 'conflict').length;
}

async function render() {
  const session = await store.meta('session');
  const live = session && !session.expired;
  $('#nav').hidden = !live;
  $('#who').textContent = live ? session.user.display_name : '';
  const queued = (await outbox.items()).filter((i) => i.status === 'queued').length;
  $('#queued').textContent = queued;
  if (!live) return loginView(session);
  const [, code, kind] = location.hash.match(/^#\/h\/([^/]+)\/?(\w+)?/) ?? [];
  if (location.hash === '#/outbox') return outboxView();
  if (code && kind) return formView(decodeURIComponent(code), kind);
  if (code) return householdView(decodeURIComponent(code));
  return homeView();
}

/** Sign in; ``before`` is an expired session whose unsent queue the phone still keeps. */
async function loginView(before) {
  const unsent = before ? await unsentCount() : 0;
  const kept = unsent ? `<p class="warn" id="kept-for">本机有 ${esc(before.user.display_name)}（${esc(before.user.name)}）未发送的 ${unsent} 项：
    请用该账号重新登录以发送；用其他账号登录将清除这些记录。</p>` : '';
  $('#main').innerHTML = `<h1>网格员登录</h1><form id="login" class="card">${kept}
    <div class="field"><label for="name">用户名</label><input id="name" name="name" autocomplete="username" value="${esc(before?.user.name ?? '')}" required></div>
    <div class="field"><label for="password">密码</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
    <p class="warn" id="login-error"></p><button class="primary" type="submit">登录</button>
    <p class="muted">与工作台的用户名、密码相同。登录后本村农户保存在本机，无信号时也能走访记录。</p></form>`;
  $('#login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const response = await fetch(`${BASE}/app/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: form.name.value, password: form.password.value }) });
      const answer = await response.json();
      if (response.status !== 201) return void ($('#login-error').textContent = answer.detail);
      const left = await store.meta('session'); // an expired session's copy, kept for its worker
      let message = '';
      if (left && left.user.name !== answer.user.name) {
        // another worker's queue is never sent under this one's name
        const lost = await unsentCount();
        await store.wipe();
        message = `本机原为 ${left.user.display_name}（${left.user.name}）保存的资料已清除`
          + `${lost ? `，其中 ${lost} 项尚未发送，已一并删除` : ''}。`;
      }
      await store.setMeta('session', answer);
      note(message);
      await sync();
    } catch {
      $('#login-error').textContent = '无法连接服务器：登录需要联网一次';
    }
  });
}

async function homeView() {
  const households = (await store.all('households')).sort((a, b) => (b.due - a.due) || a.code.localeCompare(b.code));
  const tasks = await store.meta('tasks');
  const waiting = new Set((await outbox.items()).filter((i) => i.status === 'queued').map((i) => i.code));
  const card = (h) => `<a class="card household" href="#/h/${encodeURIComponent(h.code)}" data-code="${esc(h.code)}">
    <strong>${esc(h.head_name)}</strong> <span class="muted">${esc(h.code)}</span>
    ${h.due ? '<span class="warn">本月待走访</span>' : ''} ${waiting.has(h.code) ? '<span class="muted">（有待发送）</span>' : ''}
    <br><span class="muted">${esc(h.category || h.household_type)} · 上次走访 ${esc(h.last_visit_on || '无')}</span></a>`;
  const due = households.filter((h) => h.due).length;
  $('#main').innerHTML = `<h1>我的农户 <span class="muted">${tasks?.grid_worker ? `网格员 ${esc(tasks.grid_worker)}` : '全村'}</span></h1>
    <p class="muted">共 ${households.length} 户，本月待走访 ${due} 户。资料更新于 ${esc(local(await store.meta('downloaded_at')))}</p>
    ${households.map(card).join('') || '<p>本机还没有农户资料：请联网同步。</p>'}`;
}

async function householdView(code) {
  const h = await store.get('households', code);
  if (!h) return void ($('#main').innerHTML = '<p>本机没有这户的资料。</p>');
  const members = h.members.filter((m) => m.current)
    .map((m) => `<li>${esc(m.name)}（${esc(m.relation)}，${esc(m.health)}）${esc(m.id_number)}</li>`).join('');
  const visits = h.file.visits.slice(-3).reverse()
    .map((v) => `<li>${esc(v.occurred_on)} ${esc(v.visitor)}${v.failed_checks.length ? `：${esc(v.failed_checks.join('、'))}未保障` : '：六项均已保障'}</li>`).join('');
  const link = (kind) => `<a class="card" href="#/h/${encodeURIComponent(code)}/${kind}" id="do-${kind}">${outbox.KINDS[kind].name}</a>`;
  $('#main').innerHTML = `<h1>${esc(h.head_name)} <span class="muted">${esc(h.code)}</span></h1>
    <p class="muted">${esc(h.address)} · ${esc(h.category || h.household_type)} · 档案第 ${h.version} 版</p>
    ${link('visit')}${link('alert')}${link('self_report')}
    <h2>家庭成员</h2><ul>${members}</ul><h2>最近走访</h2><ul>${visits || '<li>无</li>'}</ul>`;
}

async function formView(code, kind) {
  const h = await store.get('households', code);
  const session = await store.meta('session');
  if (!h || !outbox.KINDS[kind]) return void ($('#main').innerHTML = '<p>本机没有这户的资料。</p>');
  tables ??= await (await fetch(`${BASE}/app/forms.json`)).json();
  const worker = (await store.meta('tasks'))?.grid_worker || session.user.display_name;
  const key = `${code}/${kind}`;
  $('#main').innerHTML = `<h1>${outbox.KINDS[kind].name} <span class="muted">${esc(h.head_name)} ${esc(code)}</span></h1>
    <form id="command" class="card">${forms.fields(kind, h, tables, worker)}
    <div class="actions"><button class="primary" type="submit">保存（联网后自动发送）</button>
    <button type="button" id="discard">放弃</button></div></form>`;
  const form = $('#command');
  const draft = await store.get('drafts', key);
  if (draft) forms.restore(form, draft.typed);
  const taken = draft?.photos ?? []; // kept with the draft: a reload loses no photo
  const save = () => store.put('drafts', { key, typed: forms.typed(form), photos: taken });
  const showPhotos = () => {
    if (!$('#photo-list')) return;
    $('#photo-list').innerHTML = taken.map((blob, n) => `<figure class="photo">
      <img src="${URL.createObjectURL(blob)}" alt="照片 ${n + 1}" height="64">
      <figcaption>照片 ${n + 1}（${Math.ceil(blob.size / 1024)} KB） <button type="button" data-unphoto="${n}">删除</button></figcaption></figure>`).join('');
  };
  showPhotos();
  const checkPerson = () => {
    const input = form.elements.person_id_number;
    if (!input) return;
    const member = forms.memberOf(h, input.value);
    $('#person-check').textContent = input.value.trim().length === 18 && !member ? '该号码与本户成员不符，请核对身份证' : '';
  };
  form.addEventListener('input', async (event) => {
    if (event.target.name === 'failed' && event.target.checked) forms.onFailedCheck(form, tables, event.target.value);
    checkPerson();
    await save();
  });
  form.addEventListener('change', async (event) => {
    if (event.target.id !== 'f-photos') return;
    for (const file of event.target.files) taken.push(await photos.shrink(file, tables.photos));
    event.target.value = '';
    await save();
    showPhotos();
  });
  form.addEventListener('click', async (event) => {
    const { unphoto } = event.target.dataset;
    if (unphoto === undefined) return;
    taken.splice(Number(unphoto), 1);
    await save();
    showPhotos();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await outbox.enqueue(kind, h, forms.body(kind, form, tables), taken);
    await store.remove('drafts', key);
    location.hash = '#/outbox';
    sync();
  });
  $('#discard').addEventListener('click', async () => {
    await store.remove('drafts', key);
    location.hash = `#/h/${encodeURIComponent(code)}`;
  });
}

async function outboxView() {
  const all = await outbox.items();
  const answer = (item) => {
    if (item.status === 'recorded') {
      const alert = item.answer.alert ? `；${esc(item.answer.alert.outcome)}` : '';
      return `档案第 ${item.answer.version} 版${item.answer.replayed ? '（重发，未重复记录）' : ''}${alert}`;
    }
    if (item.status === 'refused') return `原因：${esc(item.problem.detail)}`;
    if (item.status === 'conflict') {
      const changes = (item.changes ?? []).map((c) => `<li>${esc(c)}</li>`).join('');
      return `${esc(item.problem.detail)}<ul class="changes">${changes}</ul>
        <button type="button" data-anyway="${item.id}">仍然提交</button> <button type="button" data-drop="${item.id}">放弃</button>`;
    }
    return '';
  };
  const card = (item) => `<div class="card item ${item.status}" data-id="${item.id}">
    <strong>${outbox.KINDS[item.kind].name}</strong> ${esc(item.head_name)} <span class="muted">${esc(item.code)}</span>
    <br><span class="status">${outbox.STATUS[item.status]}</span> <span class="muted">填写于 ${esc(local(item.written_at))}</span>
    <div class="answer">${answer(item)}</div>${photoStates(item)}
    ${item.status === 'refused' || item.status === 'recorded' ? `<button type="button" data-drop="${item.id}">移除</button>` : ''}</div>`;
  $('#main').innerHTML = `<h1>待发送与发送结果</h1><p class="muted">按填写先后发送；每项带自己的编号，重发不会重复记录。</p>
    ${all.map(card).join('') || '<p>没有待发送的记录。</p>'}`;
  $('#main').onclick = async (event) => {
    const { anyway, drop } = event.target.dataset;
    if (anyway) await outbox.sendAnyway(anyway);
    if (drop) await outbox.drop(drop);
    if (anyway || drop) await (anyway ? sync() : render());
  };
}

/** Each photo of an item and where it stands; a refused one with the server's reason. */
function photoStates(item) {
  if (!item.files?.length) return '';
  const state = (f, n) => `<li class="photo ${f.status}">照片 ${n + 1}：${photos.STATUS[f.status]}`
    + `${f.status === 'attached' ? `（${esc(item.fact)}）` : ''}${f.problem ? `，原因：${esc(f.problem)}` : ''}</li>`;
  return `<ul class="photos">${item.files.map(state).join('')}</ul>`;
}

async function signOut() {
  const unsent = await unsentCount();
  if (unsent && !confirm(`还有 ${unsent} 项未发送，退出后将从本机清除。确定退出？`)) return;
  try {
    await call('/app/session/end', { method: 'POST' });
  } catch { /* offline: the session ends when it expires, or the county disables it */ }
  await wipe('已退出登录，本机保存的资料已清除。');
}

// ------------------------------------------------------------------ start

window.addEventListener('hashchange', render);
window.addEventListener('online', sync);
window.addEventListener('offline', () => setNet('离线'));
$('#sync').addEventListener('click', sync);
$('#sign-out').addEventListener('click', signOut);
if ('serviceWorker' in navigator) navigator.serviceWorker.register(`${BASE}/app/sw.js`, { scope: `${BASE}/app/` });
navigator.storage?.persist?.();
setInterval(() => { if (navigator.onLine) sync(); }, 60_000);
render().then(sync);
