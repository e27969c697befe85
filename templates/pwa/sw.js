// Candor's service worker (served by advocacy.portal.pwa at /sw.js, root scope).
// Keeps the app shell and the participant's feed for reading offline. It stores only
// same-origin GET pages listed in config.offlineReadable and draft images, never the
// admin, the API or sign-in pages; the page script clears everything on sign-out.
const CONFIG = {{ config|safe }};
const SHELL = `candor-shell-${CONFIG.version}`;
const PAGES = `candor-pages-${CONFIG.version}`;
const LANGUAGE_KEY = "/__candor/offline-language";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(CONFIG.shell)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // A new version drops every older cache: a deploy never serves last week's shell.
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("candor-") && k !== SHELL && k !== PAGES).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "language" && CONFIG.languages.includes(message.language)) {
    event.waitUntil(caches.open(SHELL).then((cache) => cache.put(LANGUAGE_KEY, new Response(message.language))));
  }
});

function neverCached(path) {
  return CONFIG.neverCached.some((prefix) => path.startsWith(prefix)) || path === "/sw.js";
}

function storable(response) {
  // A redirect (to sign-in) or an error page is never kept in place of the feed.
  const page = (response.headers.get("Content-Type") || "").startsWith("text/html");
  const kept = !page || response.headers.get(CONFIG.offlineCopyHeader) === "keep";
  return response.ok && !response.redirected && response.type === "basic" && kept;
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (storable(response)) {
      const copy = response.clone();
      await caches.open(PAGES).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (error) {
    const saved = await caches.match(request, { cacheName: PAGES });
    if (saved) return saved;
    throw error;
  }
}

async function offlinePage() {
  const shell = await caches.open(SHELL);
  const chosen = await shell.match(LANGUAGE_KEY);
  const language = chosen ? await chosen.text() : (self.navigator.language || "en").slice(0, 2);
  const known = CONFIG.languages.includes(language) ? language : CONFIG.languages[0];
  return (await shell.match(`${CONFIG.offlinePage}?lang=${known}`)) || Response.error();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || neverCached(url.pathname)) return;
  if (CONFIG.shell.includes(url.pathname)) {
    event.respondWith(caches.match(request, { cacheName: SHELL }).then((hit) => hit || fetch(request)));
    return;
  }
  const readable = CONFIG.offlineReadable.includes(url.pathname);
  if (request.mode === "navigate") {
    const answer = readable ? networkFirst(request) : fetch(request);
    event.respondWith(answer.catch(() => offlinePage()));
    return;
  }
  if (url.pathname.startsWith(CONFIG.mediaPrefix)) {
    event.respondWith(networkFirst(request));
  }
});

self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : {};
  event.waitUntil(
    self.registration.showNotification(message.title || "Candor", {
      body: message.body || "",
      tag: message.tag,
      icon: CONFIG.icon,
      data: { url: message.url || "/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  // Only ever opens a page of this site, whatever the message says.
  const target = new URL(event.notification.data.url, self.location.origin);
  event.waitUntil(self.clients.openWindow(`${target.pathname}${target.search}`));
});
