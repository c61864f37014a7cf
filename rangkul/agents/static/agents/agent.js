/* The agent app offline: forms marked data-offline are kept on the phone (IndexedDB) when there is
   no connection, shown as waiting to send, and sent to the sync API when the connection returns.
   The agent's portfolio is kept too (sealed like the queue), so that members can be looked up and
   cash collected for them offline. Without this script the same forms post to the server as plain forms. */
(function () {
  "use strict";
  if (!("indexedDB" in window) || !window.fetch) return;
  var STORE = "queue";
  var PORTFOLIO = "portfolio";
  var root = document.getElementById("agent-app");
  if (!root) return;
  var syncUrl = root.dataset.syncUrl;
  var status = document.getElementById("agent-queue");
  var sending = false;

  function open() {
    return new Promise(function (ok, fail) {
      var request = indexedDB.open("rangkul-agent", 3);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id" });
        if (!db.objectStoreNames.contains("keys")) db.createObjectStore("keys");
        if (!db.objectStoreNames.contains(PORTFOLIO)) db.createObjectStore(PORTFOLIO);
      };
      request.onsuccess = function () { ok(request.result); };
      request.onerror = function () { fail(request.error); };
    });
  }
  function run(mode, action, store) {
    return open().then(function (db) {
      return new Promise(function (ok, fail) {
        var tx = db.transaction(store || STORE, mode);
        var request = action(tx.objectStore(store || STORE));
        tx.oncomplete = function () { ok(request ? request.result : undefined); };
        tx.onerror = function () { fail(tx.error); };
      });
    });
  }
  // The work waiting on the phone holds NIKs and names: its data is sealed with AES-GCM under a key
  // the browser keeps non-extractable, where the platform offers Web Crypto (a secure context).
  var subtle = window.crypto && crypto.subtle;
  function cryptoKey() {
    if (!subtle) return Promise.resolve(null);
    return open().then(function (db) {
      return new Promise(function (ok, fail) {
        var request = db.transaction("keys").objectStore("keys").get("queue");
        request.onsuccess = function () { ok(request.result || null); };
        request.onerror = function () { fail(request.error); };
      });
    }).then(function (key) {
      if (key) return key;
      return subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]).then(function (fresh) {
        return open().then(function (db) {
          return new Promise(function (ok, fail) {
            var tx = db.transaction("keys", "readwrite");
            tx.objectStore("keys").put(fresh, "queue");
            tx.oncomplete = function () { ok(fresh); };
            tx.onerror = function () { fail(tx.error); };
          });
        });
      });
    });
  }
  function seal(data) {
    return cryptoKey().then(function (key) {
      if (!key) return { plain: data };
      var iv = crypto.getRandomValues(new Uint8Array(12));
      var bytes = new TextEncoder().encode(JSON.stringify(data));
      return subtle.encrypt({ name: "AES-GCM", iv: iv }, key, bytes).then(function (sealed) {
        return { iv: iv, sealed: sealed };
      });
    });
  }
  function unseal(box) {
    if (box.plain) return Promise.resolve(box.plain);
    return cryptoKey().then(function (key) {
      return subtle.decrypt({ name: "AES-GCM", iv: box.iv }, key, box.sealed);
    }).then(function (bytes) { return JSON.parse(new TextDecoder().decode(bytes)); });
  }
  function all() {
    return run("readonly", function (s) { return s.getAll(); }).then(function (ops) {
      return Promise.all(ops.map(function (op) {
        return Promise.all([unseal(op.box), op.where ? unseal(op.where) : null]).then(function (open) {
          return { id: op.id, kind: op.kind, recorded_at: op.recorded_at, seq: op.seq, data: open[0],
                   location: open[1] };
        });
      }));
    });
  }
  // Where the work was recorded is personal data too: it is sealed like the work itself.
  function put(op) {
    return Promise.all([seal(op.data), op.location ? seal(op.location) : null]).then(function (boxes) {
      var stored = { id: op.id, kind: op.kind, recorded_at: op.recorded_at, seq: op.seq, box: boxes[0] };
      if (boxes[1]) stored.where = boxes[1];
      return run("readwrite", function (s) { return s.put(stored); });
    });
  }
  function drop(id) { return run("readwrite", function (s) { return s.delete(id); }); }
  function newId() {
    return "pwa-" + (window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random());
  }
  // A random id of this phone (no hardware id), so supervisors can see many registrations from one device.
  function deviceId() {
    try {
      var id = localStorage.getItem("rangkul-agent-device");
      if (!id) { id = newId().replace("pwa-", "dev-"); localStorage.setItem("rangkul-agent-device", id); }
      return id;
    } catch (e) { return ""; }
  }
  // Where the phone is, only if the agent allows it (the browser asks once); refused, unavailable or
  // slow, the work is recorded and sent all the same, without a position. Supervisors see registrations
  // bunched in one place from it (a ~100 m cell is all the server keeps).
  var position = null;
  var POSITION_FRESH_MS = 10 * 60 * 1000;
  function locate() {
    if (!navigator.geolocation) return;
    try {
      navigator.geolocation.getCurrentPosition(function (fix) {
        position = { lat: fix.coords.latitude, lon: fix.coords.longitude,
                     accuracy: Math.round(fix.coords.accuracy), at: Date.now() };
        document.querySelectorAll("input[data-location]").forEach(function (input) {
          input.value = [position.lat, position.lon, position.accuracy].join(",");
        });
      }, function () {}, { enableHighAccuracy: false, maximumAge: 5 * 60 * 1000, timeout: 20000 });
    } catch (e) { /* a browser that refuses outright: no position */ }
  }
  function here() {
    if (!position || Date.now() - position.at > POSITION_FRESH_MS) return null;
    return { lat: position.lat, lon: position.lon, accuracy: position.accuracy };
  }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function show(message) {
    all().then(function (ops) {
      status.hidden = false;
      status.textContent = message || (ops.length ? status.dataset.waiting + " " + ops.length : status.dataset.sent);
    });
  }
  function send() {
    if (sending || !navigator.onLine) return;
    sending = true;
    all().then(function (ops) {
      if (!ops.length) return null;
      ops.sort(function (a, b) { return a.seq - b.seq; });
      return fetch(syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ operations: ops.map(function (o) {
          var op = { id: o.id, kind: o.kind, recorded_at: o.recorded_at, data: o.data, device: deviceId() };
          if (o.location) op.location = o.location;
          return op;
        }) })
      }).then(function (response) {
        if (!response.ok) throw new Error("sync " + response.status);
        return response.json();
      }).then(function (body) {
        // Every operation got its answer (applied, duplicate or rejected): it leaves the queue.
        var rejected = body.results.filter(function (r) { return r.status === "rejected"; }).length;
        return Promise.all(body.results.map(function (r) { return drop(r.id); })).then(function () {
          return rejected ? status.dataset.rejected + " " + rejected : null;
        });
      });
    }).then(function (message) { sending = false; show(message); },
            function () { sending = false; show(); });
  }
  function queue(kind, data, id) {
    var op = { id: id || newId(), kind: kind, recorded_at: new Date().toISOString(), data: data, seq: Date.now(),
               location: here() };
    return put(op).then(function () { show(); return op; });
  }

  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) return;
      event.preventDefault();
      var fields = new FormData(form);
      var data = {};
      fields.forEach(function (value, name) {
        if (["csrfmiddlewaretoken", "operation_id", "device", "location"].indexOf(name) === -1) data[name] = value;
      });
      var kind = form.dataset.offline;
      if (kind === "register") {
        data.declared_income_idr = parseInt(data.declared_income_idr, 10);
        data.jht = fields.has("jht");
      }
      var idField = form.querySelector("input[name=operation_id]");
      queue(kind, data, idField && idField.value).then(function (op) {
        form.reset();
        if (idField) idField.value = newId();
        var next = document.getElementById("offline-collect");
        if (kind === "register" && next) {
          next.hidden = false;
          next.dataset.registration = op.id;
          next.querySelector("[data-name]").textContent = data.full_name || "";
        }
      });
    });
  });

  var collect = document.getElementById("offline-collect");
  if (collect) {
    collect.querySelector("button").addEventListener("click", function () {
      var months = parseInt(collect.querySelector("select").value, 10);
      var amount = parseInt(collect.querySelector("input").value, 10);
      if (!(months >= 1 && months <= 12) || !(amount > 0)) return;
      queue("collect", { registration: collect.dataset.registration, months: months, amount_idr: amount })
        .then(function () { collect.hidden = true; if (navigator.onLine) send(); });
    });
  }

  // --- the portfolio kept on the phone ------------------------------------------------------
  function portfolioForget() {
    return run("readwrite", function (s) { return s.delete("snapshot"); }, PORTFOLIO).catch(function () {});
  }
  function portfolioRefresh() {
    if (!navigator.onLine || !root.dataset.portfolioUrl) return Promise.resolve();
    return fetch(root.dataset.portfolioUrl, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("portfolio " + response.status);
      return response.json();
    }).then(function (snapshot) {
      return seal(snapshot).then(function (box) {
        var kept = { agent: snapshot.agent, as_of: snapshot.as_of, box: box };
        return run("readwrite", function (s) { return s.put(kept, "snapshot"); }, PORTFOLIO);
      });
    }).catch(function () {});
  }
  function portfolioLoad() {
    return run("readonly", function (s) { return s.get("snapshot"); }, PORTFOLIO).then(function (kept) {
      if (!kept) return null;
      // Another agent's members are never shown: a snapshot of someone else is dropped.
      if (kept.agent !== root.dataset.agent) return portfolioForget().then(function () { return null; });
      return unseal(kept.box);
    });
  }
  document.querySelectorAll("form[data-forget-offline]").forEach(function (form) {
    form.addEventListener("submit", function () { portfolioForget(); });
  });

  var found = document.getElementById("offline-lookup");
  var panel = document.getElementById("offline-member-collect");
  function panelAmount(member) {
    var months = parseInt(panel.querySelector("select").value, 10);
    var card = member.rate_card_idr || [];
    panel.querySelector("input").value = card.length >= months ? card[months - 1] : "";
  }
  function panelOpen(member) {
    panel.hidden = false;
    panel.dataset.number = member.membership_number;
    panel.dataset.firstMonth = member.next_month || "";
    panel.querySelector("[data-name]").textContent = member.full_name;
    panel.querySelector("[data-number]").textContent = member.membership_number;
    panel.querySelector("[data-paid]").textContent = member.paid_through
      ? found.dataset.paidThrough + " " + member.paid_through : found.dataset.nothingPaid;
    panel.querySelector("select").onchange = function () { panelAmount(member); };
    panelAmount(member);
    panel.querySelector("select").focus();
  }
  function lookupOffline(q) {
    portfolioLoad().then(function (snapshot) {
      var members = snapshot ? snapshot.members : [];
      var needle = q.trim().toLowerCase();
      var exact = members.filter(function (m) { return m.membership_number === q.trim(); });
      var matches = exact.length ? exact : members.filter(function (m) {
        return needle && m.full_name.toLowerCase().indexOf(needle) !== -1;
      }).slice(0, 50);
      var list = found.querySelector("[data-results]");
      list.textContent = "";
      found.hidden = false;
      found.querySelector("[data-as-of]").textContent = snapshot ? snapshot.as_of.slice(0, 16).replace("T", " ") : "";
      if (!matches.length) {
        var none = document.createElement("li");
        none.textContent = found.dataset.none;
        list.appendChild(none);
      }
      matches.forEach(function (member) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.dataset.testid = "offline-member";
        button.textContent = member.full_name + " · " + member.membership_number + " · " + member.nik_masked;
        button.addEventListener("click", function () { panelOpen(member); });
        item.appendChild(button);
        list.appendChild(item);
      });
    });
  }
  document.querySelectorAll("form[data-offline-lookup]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine || !found) return;
      event.preventDefault();
      lookupOffline(new FormData(form).get("q") || "");
    });
  });
  if (panel) {
    panel.querySelector("button").addEventListener("click", function () {
      var months = parseInt(panel.querySelector("select").value, 10);
      var amount = parseInt(panel.querySelector("input").value, 10);
      if (!(months >= 1 && months <= 12) || !(amount > 0)) return;
      var data = { membership_number: panel.dataset.number, months: months, amount_idr: amount };
      if (panel.dataset.firstMonth) data.first_month = panel.dataset.firstMonth;
      queue("collect", data).then(function () { panel.hidden = true; if (navigator.onLine) send(); });
    });
  }
  window.addEventListener("online", portfolioRefresh);
  document.querySelectorAll("input[data-device]").forEach(function (input) { input.value = deviceId(); });
  if (document.querySelector("form[data-offline], form[data-offline-lookup], input[data-location]")) locate();

  window.addEventListener("online", send);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: root.dataset.scope }).catch(function () {});
  }
  show();
  send();
  portfolioRefresh();
})();
