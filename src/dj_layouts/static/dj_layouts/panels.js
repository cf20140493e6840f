/* dj-layouts: fetches the late panels of a page (Panel(load="lazy" | "visible")).
 *
 * The page marks each late slot <djl-panel data-src="URL" data-load="lazy|visible"
 * hx-get="URL" hx-trigger="load|revealed" hx-swap="outerHTML">fallback</djl-panel>.
 * A page with htmx leaves the fetching to htmx; without it this file fetches "lazy"
 * panels at once and "visible" ones when they scroll into view, and replaces the slot
 * with the panel's HTML. It is a static file, so any CSP that allows it serves; no
 * inline script is needed.
 *
 * Either way the scripts and stylesheets a panel queued (sent after its HTML) reach the
 * page once: one the page already has is dropped, a new one runs once.
 */
(function () {
  "use strict";
  if (window.djLayoutsPanels) return;
  window.djLayoutsPanels = true;
  var me = document.currentScript;
  var nonce = me && me.nonce;

  // Nodes parsed in a <template> have no base URL: resolve against the page's.
  function url(node, name) {
    return new URL(node.getAttribute(name), document.baseURI).href;
  }

  function known(node) {
    if (node.tagName === "SCRIPT") {
      var src = url(node, "src");
      return Array.prototype.some.call(document.scripts, function (s) {
        return s !== node && s.src === src;
      });
    }
    var href = url(node, "href");
    return Array.prototype.some.call(
      document.querySelectorAll('link[rel="stylesheet"]'),
      function (l) { return l !== node && l.href === href; }
    );
  }

  // Drop what the page already has; the rest stays in the fragment.
  function dedupe(root) {
    Array.prototype.forEach.call(root.querySelectorAll("script[src], link[rel=stylesheet]"),
      function (node) { if (known(node)) node.remove(); });
  }

  function runnable(old) {
    var s = document.createElement("script");
    Array.prototype.forEach.call(old.attributes, function (a) { s.setAttribute(a.name, a.value); });
    if (nonce && !s.nonce) s.nonce = nonce;
    s.text = old.text;
    return s;
  }

  function fill(slot, html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var fragment = tpl.content;
    dedupe(fragment);
    Array.prototype.forEach.call(fragment.querySelectorAll("script"), function (old) {
      old.replaceWith(runnable(old));
    });
    slot.replaceWith(fragment);
  }

  function load(slot) {
    if (slot.dataset.djlStarted) return;
    slot.dataset.djlStarted = "1";
    fetch(slot.dataset.src, { credentials: "same-origin", headers: { "DJ-Panel-Load": "1" } })
      .then(function (response) {
        if (!response.ok) throw new Error("panel answered " + response.status);
        return response.text();
      })
      .then(function (html) { fill(slot, html); })
      .catch(function () { slot.setAttribute("data-failed", ""); });  // the fallback stays
  }

  function start() {
    if (window.htmx) {
      // htmx fetches (hx-get); panel responses still drop what the page already has.
      document.body.addEventListener("htmx:beforeSwap", function (event) {
        var xhr = event.detail.xhr;
        if (!xhr || !xhr.getResponseHeader("DJ-Panel")) return;
        var tpl = document.createElement("template");
        tpl.innerHTML = event.detail.serverResponse;
        dedupe(tpl.content);
        event.detail.serverResponse = tpl.innerHTML;
      });
      return;
    }
    var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { observer.unobserve(entry.target); load(entry.target); }
      });
    }) : null;
    Array.prototype.forEach.call(document.querySelectorAll("djl-panel[data-src]"), function (slot) {
      if (slot.dataset.load === "visible" && observer) observer.observe(slot);
      else load(slot);
    });
  }

  // After every deferred script, so a deferred htmx is seen.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
