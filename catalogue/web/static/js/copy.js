/* "Copy citation": with the Clipboard API, a button copies the citation and says so; without
   JavaScript (or that API) the button stays hidden and the citation text stays selectable.
   Loaded as a file (the CSP forbids inline scripts); every word comes from the page. */
(function () {
  "use strict";
  function init() {
    if (!navigator.clipboard || !window.isSecureContext) { return; }
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = button.parentNode.querySelector(".copy-status");
      if (!source) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          if (status) { status.textContent = button.getAttribute("data-copied"); }
        }, function () {
          if (status) { status.textContent = button.getAttribute("data-failed"); }
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
