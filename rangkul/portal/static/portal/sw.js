/* The worker's card without signal (shown at the clinic after an accident). Network first: the card
   page is kept only when the server marks it as the signed-in member's own card, and forgotten when
   the member logs out, someone logs in, or the server no longer shows the card (session ended).
   Nothing else of the member's is kept: no other page, no NIK. */
var CARD_CACHE = "rangkul-card-v1";
var STATIC_CACHE = "rangkul-static-v1";
var CARD = "/iuran/kartu/";
var FORGET_ON_POST = ["/peserta/keluar/", "/peserta/masuk/"];

function forget() { return caches.delete(CARD_CACHE); }

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("rangkul-card-") === 0 && key !== CARD_CACHE ||
        key.indexOf("rangkul-static-") === 0 && key !== STATIC_CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  if (event.data === "forget-card") event.waitUntil(forget());
});

function card(request) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected && response.headers.get("X-Rangkul-Offline") === "member-card") {
      var copy = response.clone();
      return caches.open(CARD_CACHE).then(function (cache) { return cache.put(CARD, copy); })
        .then(function () { return response; });
    }
    // Sent to the log-in page (or refused): whoever was signed in is not any more.
    return forget().then(function () { return response; });
  }).catch(function () {
    return caches.open(CARD_CACHE).then(function (cache) { return cache.match(CARD); }).then(function (kept) {
      return kept || Response.error();
    });
  });
}

function staticFile(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(STATIC_CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () { return caches.match(request).then(function (kept) { return kept || Response.error(); }); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    var path = url.pathname;
    if (FORGET_ON_POST.some(function (prefix) { return path.indexOf(prefix) === 0; })) event.waitUntil(forget());
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname === CARD && !url.search) event.respondWith(card(request));
  else if (url.pathname.indexOf("/static/") === 0) event.respondWith(staticFile(request));
});
