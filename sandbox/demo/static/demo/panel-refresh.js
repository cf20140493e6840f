/* The sandbox's refresh button on pages without htmx: fetch the panel's URL, swap it in.
 * With htmx on the page, hx-get on the same button does it and this file stays out. */
(function () {
  "use strict";
  if (window.demoPanelRefresh) return;
  window.demoPanelRefresh = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-refresh]");
    if (!button || window.htmx) return;
    fetch(button.dataset.refresh, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var panel = document.getElementById("clock-panel");
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        var fresh = tpl.content.getElementById("clock-panel");
        if (panel && fresh) panel.replaceWith(fresh);
      });
  });
})();
