/* The search page, progressively enhanced: without JavaScript every control is a link or a
   <details> and works as is. With it, the filter panel is open beside the results on wide
   screens, "show all" expands a facet in place, long facets get a box that filters their
   values, and the results heading takes the focus after a facet, sort or page change.
   Loaded as a file (the CSP forbids inline scripts); every word comes from the page. */
(function () {
  "use strict";
  var WIDE = "(min-width: 48.01rem)";

  function openOnWideScreens() {
    var panel = document.getElementById("filters");
    if (!panel || !window.matchMedia) { return; }
    var query = window.matchMedia(WIDE);
    if (query.matches) { panel.open = true; }
  }

  function showMore(link) {
    var section = link.closest(".facet");
    var hidden = section.querySelectorAll("li.more[hidden]");
    if (!hidden.length) { return false; }
    hidden.forEach(function (item) { item.hidden = false; item.classList.add("shown"); });
    section.classList.add("expanded");
    link.parentNode.hidden = true;
    var first = hidden[0].querySelector("a");
    if (first) { first.focus(); }
    return true;
  }

  function fold(text) {
    return (text || "").toLocaleLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function addFilterBox(section, index) {
    var list = section.querySelector("ul");
    if (!list) { return; }
    var id = "facet-filter-" + index;
    var label = document.createElement("label");
    label.setAttribute("for", id);
    label.className = "facet-filter-label";
    label.textContent = section.getAttribute("data-filter-label");
    var box = document.createElement("input");
    box.type = "search";
    box.id = id;
    box.className = "facet-filter";
    box.setAttribute("autocomplete", "off");
    var none = document.createElement("p");
    none.className = "meta facet-none";
    none.hidden = true;
    none.setAttribute("role", "status");
    none.textContent = section.getAttribute("data-no-match");
    box.addEventListener("input", function () {
      var wanted = fold(box.value.trim());
      var expanded = section.classList.contains("expanded");
      var shown = 0;
      list.querySelectorAll("li").forEach(function (item) {
        var match = !wanted || fold(item.textContent).indexOf(wanted) !== -1;
        var extra = item.classList.contains("more") && !expanded;
        item.hidden = !(match && (wanted || !extra));
        if (!item.hidden) { shown += 1; }
      });
      none.hidden = shown > 0;
    });
    list.parentNode.insertBefore(label, list);
    list.parentNode.insertBefore(box, list);
    list.parentNode.insertBefore(none, list.nextSibling);
  }

  function focusResults() {
    if (location.hash !== "#results") { return; }
    var heading = document.getElementById("results");
    if (heading && document.activeElement !== heading) { heading.focus(); }
  }

  function init() {
    openOnWideScreens();
    document.querySelectorAll("[data-show-more]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (showMore(link)) { event.preventDefault(); }
      });
    });
    document.querySelectorAll(".facet[data-filter-label]").forEach(addFilterBox);
    focusResults();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
