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
 * (the redrawing leaves the camera's location and device data behind). Where the county keeps
 * them (``keep_metadata`` of forms.json's ``photos``), a photo already that small and within its
 * kind's limit is kept as taken, and a larger one redrawn keeps its EXIF segment (upright: the
 * redrawing has turned it already). A file the phone cannot draw is kept as it is: the server
 * says why it refuses it. */
export async function shrink(file, rules = {}) {
  let picture;
  try {
    picture = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return new Blob([file], { type: file.type });
  }
  const longest = Math.max(picture.width, picture.height);
  const limit = rules.max_bytes?.[file.type];
  if (rules.keep_metadata && longest <= LONGEST_SIDE && limit && file.size <= limit) {
    picture.close();
    return new Blob([file], { type: file.type });
  }
  const scale = Math.min(1, LONGEST_SIDE / longest);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(picture.width * scale);
  canvas.height = Math.round(picture.height * scale);
  canvas.getContext('2d').drawImage(picture, 0, 0, canvas.width, canvas.height);
  picture.close();
  const drawn = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  const exif = rules.keep_metadata && file.type === 'image/jpeg'
    ? exifSegment(new Uint8Array(await file.arrayBuffer())) : null;
  return exif ? withSegment(new Uint8Array(await drawn.arrayBuffer()), exif) : drawn;
}

/** A JPEG's EXIF segment (APP1), its orientation set upright; null if it has none. */
export function exifSegment(bytes) {
  if (bytes[0] !== 0xFF || bytes[1] !== 0xD8) return null;
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xFF;) {
    const [marker, length] = [bytes[at + 1], (bytes[at + 2] << 8) | bytes[at + 3]];
    if (marker === 0xDA) break; // the picture itself: no segment after it
    if (marker === 0xE1 && String.fromCharCode(...bytes.slice(at + 4, at + 8)) === 'Exif') {
      try {
        return upright(bytes.slice(at, at + 2 + length));
      } catch {
        return null; // a damaged segment is left behind with the rest
      }
    }
    at += 2 + length;
  }
  return null;
}

/** Orientation (tag 0x0112 of IFD0) set to 1. */
function upright(segment) {
  const view = new DataView(segment.buffer);
  const tiff = 10; // after the marker, the length and "Exif\0\0"
  const little = view.getUint16(tiff) === 0x4949;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  for (let n = 0; n < view.getUint16(ifd, little); n += 1) {
    const entry = ifd + 2 + n * 12;
    if (view.getUint16(entry, little) === 0x0112) view.setUint16(entry + 8, 1, little);
  }
  return segment;
}

/** ``jpeg`` with ``segment`` put after its start (and its JFIF header, if any). */
function withSegment(jpeg, segment) {
  let at = 2;
  if (jpeg[2] === 0xFF && jpeg[3] === 0xE0) at += 2 + ((jpeg[4] << 8) | jpeg[5]);
  return new Blob([jpeg.slice(0, at), segment, jpeg.slice(at)], { type: 'image/jpeg' });
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
