// Photos taken at the door. Made small on the phone and kept with the queued item in IndexedDB;
// sent once the item's command is recorded: each photo uploaded (the server keeps a file by its
// SHA-256, so the same bytes sent again keep nothing new), then all of them attached to the
// recorded fact (`visit:V-…`, the id the app gave it) by one command with its own
// Idempotency-Key. The server judges every file (kind, size, a real picture) and says why not.

import * as store from './store.js';

export const LONGEST_SIDE = 1600; // px: enough to read a crack in a wall, small enough to send
const QUALITY = 0.85;
export const STATUS = { queued: '待上传', uploaded: '已上传', attached: '已附上', refused: '被拒绝' };

/** A photo as the phone keeps it: redrawn as a JPEG at most LONGEST_SIDE px on its longer side
 * (the redrawing leaves the camera's location data behind). A file the phone cannot draw is
 * kept as it is: the server says why it refuses it. */
export async function shrink(file) {
  let picture;
  try {
    picture = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return new Blob([file], { type: file.type });
  }
  const scale = Math.min(1, LONGEST_SIDE / Math.max(picture.width, picture.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(picture.width * scale);
  canvas.height = Math.round(picture.height * scale);
  canvas.getContext('2d').drawImage(picture, 0, 0, canvas.width, canvas.height);
  picture.close();
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
}

/** Photos of a recorded item still to upload or attach. */
export const pending = (item) => item.status === 'recorded'
  && (item.files ?? []).some((f) => f.status === 'queued' || f.status === 'uploaded');

/** Upload the item's photos not yet kept by the server, then attach those kept to its fact. */
export async function send(item, call) {
  for (const photo of item.files) {
    if (photo.status !== 'queued') continue;
    const response = await call('/api/attachments', {
      method: 'POST', headers: { 'Content-Type': photo.blob.type || 'application/octet-stream' }, body: photo.blob });
    const answer = await response.json().catch(() => ({}));
    if (response.status === 201) Object.assign(photo, { status: 'uploaded', sha256: answer.sha256 });
    else Object.assign(photo, { status: 'refused', problem: reason(answer, response) });
    await store.put('outbox', item);
  }
  const kept = item.files.filter((f) => f.status === 'uploaded');
  if (!kept.length) return;
  const response = await call(`/api/households/${encodeURIComponent(item.code)}/evidence`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `${item.id}/evidence` },
    body: JSON.stringify({ fact: item.fact, attachments: kept.map((f) => f.sha256),
      note: '现场拍摄', occurred_on: item.body.occurred_on }),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 201) {
    kept.forEach((f) => { f.status = 'attached'; });
    item.evidence = { version: answer.version };
  } else {
    kept.forEach((f) => Object.assign(f, { status: 'refused', problem: reason(answer, response) }));
  }
  await store.put('outbox', item);
}

const reason = (answer, response) => answer.detail || `服务器答复 ${response.status}`;
