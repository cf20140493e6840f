// Queued by three panels; the render queue loads it once, so this runs once.
window.demoCounter = (window.demoCounter || 0) + 1;
(window.demoScriptLog = window.demoScriptLog || []).push("counter.js");
