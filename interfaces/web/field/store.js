// The phone's copy, in IndexedDB: the worker's households, the queue of recorded commands and
// the forms being typed. Written durably, so it survives a reload, a browser crash or a dead
// battery; `wipe` removes all of it (signing out, or a token the server no longer accepts).

// one copy per place the app is served from: two counties' workers on one phone never mix
const NAME = 'fangpin-field' + location.pathname.slice(0, location.pathname.lastIndexOf('/app/'));
const STORES = { meta: 'key', households: 'code', outbox: 'id', drafts: 'key' };
let opening = null;

function open() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      for (const [store, keyPath] of Object.entries(STORES)) {
        request.result.createObjectStore(store, { keyPath });
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

async function run(store, mode, act) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode, { durability: 'strict' });
    const request = act(tx.objectStore(store));
    tx.oncomplete = () => resolve(request?.result);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

export const get = (store, key) => run(store, 'readonly', (s) => s.get(key));
export const all = (store) => run(store, 'readonly', (s) => s.getAll());
export const put = (store, value) => run(store, 'readwrite', (s) => s.put(value));
export const remove = (store, key) => run(store, 'readwrite', (s) => s.delete(key));

/** Replace every record of a store at once (a fresh download of the households). */
export function replaceAll(store, values) {
  return run(store, 'readwrite', (s) => {
    s.clear();
    values.forEach((value) => s.put(value));
  });
}

export const meta = async (key) => (await get('meta', key))?.value;
export const setMeta = (key, value) => put('meta', { key, value });

/** Remove the phone's copy: the database and every cache of the app. */
export async function wipe() {
  if (opening) (await opening).close();
  opening = null;
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  for (const key of await caches.keys()) await caches.delete(key);
}
