// unikit www: shows the server's /status counters on the home page, when the page is served by
// the www unikernel (anywhere else the request fails and the section stays hidden).
"use strict";
(function () {
  var section = document.getElementById("live-status");
  var list = document.getElementById("live-status-list");
  if (!section || !list || !window.fetch) return;

  function label(key) { return key.replace(/_/g, " "); }
  function show(key, value) {
    if (value !== null && typeof value === "object") {
      Object.keys(value).forEach(function (k) { show(key + " " + k, value[k]); });
      return;
    }
    var dt = document.createElement("dt");
    var dd = document.createElement("dd");
    dt.textContent = label(key);
    dd.textContent = String(value);
    list.appendChild(dt);
    list.appendChild(dd);
  }

  fetch("/status", { cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (s) {
      Object.keys(s).forEach(function (k) { show(k, s[k]); });
      if (list.children.length) section.hidden = false;
    })
    .catch(function () { /* not served by www: nothing to show */ });
})();
