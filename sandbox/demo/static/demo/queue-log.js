// Queued by the content view, so it comes before every panel's script.
(window.demoScriptLog = window.demoScriptLog || []).push("queue-log.js");
document.addEventListener("DOMContentLoaded", function () {
  var show = function (id, value) {
    var output = document.getElementById(id);
    if (output) output.textContent = String(value);
  };
  show("counter-runs", window.demoCounter || 0);
  show("inline-runs", window.demoInlineRuns || 0);
  show("script-log", (window.demoScriptLog || []).join(" → "));
});
