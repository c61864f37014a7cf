/* Keeps the agent's registration form and the static files for use without a connection (network
   first). Pages that list members are not kept: no personal data rests in the browser's cache. */
var CACHE = "rangkul-agent-v1";
var PAGES = ["/agen/daftar/"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(PAGES); }).catch(function () {}));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var page = PAGES.indexOf(url.pathname) !== -1;
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
