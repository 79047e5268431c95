// The progress page of an import: without JavaScript it reloads itself (a meta refresh);
// with it, the counts update in place every second and the page reloads once the import ends.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) { return; }
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) { refresh.parentNode.removeChild(refresh); }
  function poll() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) {
        if (!run) { window.location.reload(); return; }
        ["new", "updated", "unchanged", "failed", "warnings"].forEach(function (key) {
          var cell = document.getElementById("count-" + key);
          if (cell) { cell.textContent = String((run.counts || {})[key] || 0); }
        });
        if (run.status !== "running") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
