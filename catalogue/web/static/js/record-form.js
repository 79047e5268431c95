/* The record form, enhanced in place: "Add …" and "Remove …" add or remove a row without a
   round trip (focus goes to the new row, or to the row now in the removed one's place); the
   claims' source checkboxes follow the Sources section as it is typed; a source without an id
   gets one made from its citation; "Reuse a source of another record" searches as one types
   and adds the chosen source in place. Without JavaScript every one of these buttons submits
   the form and the server does the same, returning to the anchor in the button's formaction.
   Loaded as a file (the CSP forbids inline scripts); every word comes from the page. */
(function () {
  "use strict";
  var form;

  function domId(key) { return key.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, ""); }
  function container(group) { return document.getElementById("rows-" + domId(group)); }
  function rowsOf(box) {
    return Array.prototype.filter.call(box.children, function (el) { return el.matches("fieldset.row"); });
  }
  function rowKey(row) {
    var button = row.querySelector(":scope > .row-actions button[name=remove]");
    return button ? button.value : "";
  }
  function firstField(row) { return row.querySelector("input:not([type=hidden]), select, textarea"); }
  function field(row, name) { return row.querySelector('[name="' + rowKey(row) + "." + name + '"]'); }

  function renumber(box) {
    rowsOf(box).forEach(function (row, position) {
      var number = row.querySelector(":scope > legend .row-number");
      if (number) { number.textContent = String(position + 1); }
    });
  }

  function addRow(group) {
    var box = container(group);
    var template = document.getElementById("template-" + domId(group));
    if (!box || !template) { return null; }
    var next = 0;
    rowsOf(box).forEach(function (row) {
      var match = /\[(\d+)\]$/.exec(rowKey(row));
      if (match) { next = Math.max(next, Number(match[1]) + 1); }
    });
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.split("__i__").join(String(next))
      .split("__n__").join(String(rowsOf(box).length + 1));
    var row = holder.querySelector("fieldset.row");
    box.insertBefore(row, box.querySelector(":scope > .group-actions"));
    renumber(box);
    refreshPickers();
    return row;
  }

  function removeRow(key) {
    var row = document.getElementById(domId(key));
    if (!row) { return; }
    var box = row.parentNode, rows = rowsOf(box), position = rows.indexOf(row);
    var then = rows[position + 1] || rows[position - 1];
    row.remove();
    renumber(box);
    refreshPickers();
    var target = then ? firstField(then) : box.querySelector(":scope > .group-actions button");
    if (target) { target.focus(); }
  }

  /* -- the claims' source checkboxes ------------------------------------------------------ */

  function sources() {
    var box = container("sources");
    return box ? rowsOf(box).map(function (row) {
      var id = field(row, "id"), citation = field(row, "citation");
      var value = id ? id.value.trim() : "";
      return [value, (citation && citation.value.trim()) || value];
    }).filter(function (pair) { return pair[0]; }) : [];
  }

  function pick(name, id, citation, checked) {
    var item = document.createElement("li"), label = document.createElement("label");
    var box = document.createElement("input"), code = document.createElement("code");
    box.type = "checkbox"; box.name = name; box.value = id; box.checked = checked;
    code.textContent = id;
    label.appendChild(box);
    label.appendChild(document.createTextNode(" "));
    if (citation === null) {
      item.className = "unknown";
      label.appendChild(code);
      label.appendChild(document.createTextNode(" " + form.getAttribute("data-unknown-source")));
    } else {
      var text = document.createElement("span");
      text.dir = "auto";
      text.textContent = citation.length > 100 ? citation.slice(0, 97) + "..." : citation;
      label.appendChild(text);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(code);
    }
    item.appendChild(label);
    return item;
  }

  function refreshPickers() {
    var list = sources(), known = list.map(function (pair) { return pair[0]; });
    form.querySelectorAll("fieldset.source-picker").forEach(function (picker) {
      var name = picker.getAttribute("data-name"), picks = picker.querySelector("ul.picks"), ticked = [];
      picks.querySelectorAll("input:checked").forEach(function (box) { ticked.push(box.value); });
      picks.textContent = "";
      list.forEach(function (pair) { picks.appendChild(pick(name, pair[0], pair[1], ticked.indexOf(pair[0]) >= 0)); });
      ticked.forEach(function (id) { if (known.indexOf(id) < 0) { picks.appendChild(pick(name, id, null, true)); } });
      picker.querySelector(".picker-empty").hidden = list.length > 0;
    });
  }

  function slug(text) {
    var made = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/\u0259/g, "e").replace(/\u0131/g, "i").replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+/, "").slice(0, 30).replace(/-+$/, "");
    return made || "source";
  }

  function unique(wanted, except) {
    var taken = sources().map(function (pair) { return pair[0]; }).filter(function (id) { return id !== except; });
    var candidate = wanted, number = 1;
    while (taken.indexOf(candidate) >= 0) { number += 1; candidate = wanted + "-" + number; }
    return candidate;
  }

  var pending = null;
  function later(run) { window.clearTimeout(pending); pending = window.setTimeout(run, 250); }

  function sourceTyped(target) {
    var row = target.closest("fieldset.row");
    if (!row || row.parentNode !== container("sources")) { return; }
    var id = field(row, "id");
    if (target === field(row, "citation") && id && (!id.value.trim() || id.getAttribute("data-auto"))) {
      id.value = target.value.trim() ? unique(slug(target.value), id.value) : "";
      id.setAttribute("data-auto", "1");
    } else if (target === id) {
      id.removeAttribute("data-auto");
    }
    later(refreshPickers);
  }

  /* -- reuse a source of another record --------------------------------------------------- */

  function render(data) {
    var results = document.getElementById("source-results");
    var list = results.querySelector("ul.found-sources");
    document.getElementById("source-results-status").textContent = data.status;
    list.textContent = "";
    data.sources.forEach(function (found, index) {
      var item = document.createElement("li"), citation = document.createElement("span");
      var note = document.createElement("small"), button = document.createElement("button");
      citation.dir = "auto"; citation.id = "found-" + (index + 1); citation.textContent = found.source.citation;
      note.textContent = found.cited_by;
      button.type = "submit"; button.name = "reuse"; button.value = found.value; button.className = "secondary";
      button.formNoValidate = true;
      button.setAttribute("aria-describedby", citation.id);
      button.setAttribute("data-source", JSON.stringify(found.source));
      button.textContent = results.getAttribute("data-add");
      item.appendChild(citation); item.appendChild(document.createTextNode(" "));
      item.appendChild(note); item.appendChild(document.createTextNode(" "));
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  function search(fallback) {
    var query = document.getElementById("f-source-query");
    if (!query.value.trim()) { return; }
    fetch(query.getAttribute("data-url") + "?q=" + encodeURIComponent(query.value.trim()),
          {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(render, function () { if (fallback) { form.requestSubmit(fallback); } });
  }

  function reuse(button) {
    var source = JSON.parse(button.getAttribute("data-source"));
    var box = container("sources"), row = null;
    rowsOf(box).forEach(function (candidate) {
      var citation = field(candidate, "citation"), url = field(candidate, "url");
      if (citation && citation.value.trim() === (source.citation || "").trim()
          && (url ? url.value.trim() : "") === (source.url || "").trim()) { row = candidate; }
    });
    if (!row) {
      row = addRow("sources");
      ["citation", "author", "publisher", "date", "url", "pages", "type"].forEach(function (name) {
        var input = field(row, name);
        if (input) { input.value = source[name] || ""; }
      });
      field(row, "id").value = unique(source.id || slug(source.citation || ""), null);
      refreshPickers();
    }
    firstField(row).focus();
  }

  function clicked(event) {
    var button = event.target.closest("button[type=submit]");
    if (!button || !form.contains(button)) { return; }
    if (button.name === "add") {
      event.preventDefault();
      var row = addRow(button.value);
      if (row) { firstField(row).focus(); }
    } else if (button.name === "remove") {
      event.preventDefault();
      removeRow(button.value);
    } else if (button.name === "reuse" && button.getAttribute("data-source")) {
      event.preventDefault();
      reuse(button);
    } else if (button.name === "find_sources") {
      event.preventDefault();
      search(button);
    }
  }

  function init() {
    form = document.querySelector("form.record-form");
    if (!form || !window.fetch || !document.createElement("template").content) { return; }
    form.classList.add("enhanced");
    form.querySelectorAll(".no-js-only").forEach(function (el) { el.hidden = true; });
    form.addEventListener("click", clicked);
    form.addEventListener("input", function (event) {
      if (event.target.id === "f-source-query") { later(function () { search(null); }); } else { sourceTyped(event.target); }
    });
    var query = document.getElementById("f-source-query");
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); search(null); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
