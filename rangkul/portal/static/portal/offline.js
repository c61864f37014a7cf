/* Makes the worker portal installable and keeps the member card for use without signal (see sw.js).
   Logging out also forgets the card here, in case the service worker is not in control yet. */
(function () {
  "use strict";
  var script = document.getElementById("portal-offline");
  if (!script) return;
  function forget() {
    if (window.caches) caches.delete("rangkul-card-v1").catch(function () {});
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("forget-card");
    }
  }
  document.querySelectorAll("form[data-forget-offline]").forEach(function (form) {
    form.addEventListener("submit", forget);
  });
  if (script.dataset.signedIn !== "1") { forget(); return; }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(script.dataset.worker, { scope: "/" }).catch(function () {});
  }
})();
