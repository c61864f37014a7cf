/* Keeps the agent's empty forms (register, find a member) and the static files for use without a
   connection (network first). Pages that list members are not kept: no personal data rests in the
   browser's cache (the portfolio is kept sealed in IndexedDB by agent.js). */
var CACHE = "rangkul-agent-v2";
var PAGES = ["/agen/daftar/", "/agen/cari/"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(PAGES); }).catch(function () {}));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("rangkul-agent-") === 0 && key !== CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Only the empty form: a search result (?q=...) lists members and is never kept.
  var page = PAGES.indexOf(url.pathname) !== -1 && !url.search;
  if (!page && url.pathname.indexOf("/static/") !== 0) return;
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () { return caches.match(request); })
  );
});
