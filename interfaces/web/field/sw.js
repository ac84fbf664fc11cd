// The app's own files, kept on the phone so that it opens with no signal. No household data
// is ever kept here (it lives in IndexedDB), and the API is never answered from a cache.

const CACHE = 'fangpin-field-v3';
// '' at /app/, '/c/130630' for a county of a many-county server
const BASE = self.location.pathname.slice(0, self.location.pathname.lastIndexOf('/app/'));
const FILES = ['', 'app.js', 'store.js', 'outbox.js', 'forms.js', 'photos.js', 'app.css', 'forms.json',
  'manifest.webmanifest', 'icon.svg', 'icon-192.png'].map((file) => `${BASE}/app/${file}`);
const PATIENCE_MS = 4000; // a weak signal: fall back to the kept copy after this long

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const own = url.origin === self.location.origin && url.pathname.startsWith(`${BASE}/app/`);
  if (event.request.method === 'GET' && own && !url.pathname.startsWith(`${BASE}/app/session`)) {
    event.respondWith(networkElseKept(event.request));
  }
});

/** The newest file from the server when it answers; the kept copy when it does not. */
async function networkElseKept(request) {
  const cache = await caches.open(CACHE);
  const key = request.mode === 'navigate' ? `${BASE}/app/` : request;
  const fetched = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(key, response.clone());
    return response;
  });
  fetched.catch(() => {}); // answered from the kept copy meanwhile: nothing to report
  const late = new Promise((resolve) => setTimeout(resolve, PATIENCE_MS));
  try {
    const response = await Promise.race([fetched, late.then(() => cache.match(key))]);
    if (response) return response;
    return await fetched;
  } catch {
    return (await cache.match(key)) || Response.error();
  }
}
