/* dj-layouts: puts the panels of an "unordered" streamed page into their slots.
 *
 * The page's shell marks slot N with <!--djl:PAGE:N--> ... <!--/djl:PAGE:N--> around its
 * fallback. Each finished panel arrives as <djl-fill data-page="PAGE" data-slots="N ..."
 * data-html="escaped HTML"></djl-fill> (no data-html: the panel was empty, the fallback
 * stays); the element fills its slots as soon as it is parsed
 * (custom elements upgrade as they are parsed), so no inline script is needed and any CSP
 * that allows this file serves.
 *
 * The HTML is parsed in the context of the slot's parent (SVG and MathML keep their
 * namespace) inside an inert document, so its scripts do not run by themselves; each is
 * then re-created so that it runs, exactly when the buffered page would run it: when the
 * page has a CSP nonce, only scripts carrying that nonce (under 'strict-dynamic' a script
 * made by this file would otherwise be trusted whatever it carries).
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var Fill = window.customElements.get("djl-fill");
  var defined = !!Fill;
  if (!defined) {
    var inert = document.implementation.createHTMLDocument("");
    // Under Trusted Types (require-trusted-types-for 'script') parsing HTML and making
    // scripts need a policy; the page allows it with `trusted-types dj-layouts`. The HTML
    // is the server's own, as on the buffered page. Kept in this closure: no other script
    // can use it.
    var trust = { createHTML: String, createScript: String, createScriptURL: String };
    if (window.trustedTypes && window.trustedTypes.createPolicy) {
      try {
        trust = window.trustedTypes.createPolicy("dj-layouts", trust);
      } catch (error) {
        // Not allowed by the page's CSP: plain strings (which that CSP may refuse).
      }
    }

    var marks = function (page, number) {
      var start = "djl:" + page + ":" + number;
      var end = "/" + start;
      var walker = document.createTreeWalker(document, NodeFilter.SHOW_COMMENT);
      var found = [];
      var node;
      while ((node = walker.nextNode())) {
        if (node.data === start) found.push([node, null]);
        else if (node.data === end && found.length && !found[found.length - 1][1]) {
          found[found.length - 1][1] = node;
        }
      }
      return found;
    };

    var runnable = function (script, nonce) {
      return !nonce || (script.nonce || script.getAttribute("nonce")) === nonce;
    };

    var revive = function (script) {
      var fresh = document.createElementNS(script.namespaceURI, script.localName);
      for (var i = 0; i < script.attributes.length; i++) {
        var attr = script.attributes[i];
        var url = attr.localName === "src" || attr.localName === "href";
        var value = url ? trust.createScriptURL(attr.value) : attr.value;
        fresh.setAttributeNS(attr.namespaceURI, attr.name, value);
      }
      if (script.nonce) fresh.nonce = script.nonce;
      fresh.textContent = trust.createScript(script.textContent);
      script.replaceWith(fresh);
    };

    var unwrap = function (start, end) {
      start.remove();
      if (end) end.remove();
    };

    var put = function (start, end, html, nonce) {
      var parent = start.parentNode;
      var context =
        parent && parent.nodeType === 1
          ? inert.createElementNS(parent.namespaceURI, parent.localName)
          : inert.createElement("body");
      // Parsed as innerHTML is: its scripts are marked as already started (inert).
      context.innerHTML = trust.createHTML(html);
      var scripts = Array.prototype.filter.call(context.querySelectorAll("script"), function (s) {
        return runnable(s, nonce);
      });
      var fragment = document.createDocumentFragment();
      while (context.firstChild) fragment.appendChild(context.firstChild);
      // The fallback: up to the end comment, never past a node that holds it (a fallback
      // that is not balanced), nothing if the end comment is gone.
      var node = end ? start.nextSibling : null;
      while (node && node !== end && !node.contains(end)) {
        var next = node.nextSibling;
        node.remove();
        node = next;
      }
      start.parentNode.insertBefore(fragment, start);
      start.remove();
      if (end) end.remove();
      scripts.forEach(revive);
    };

    Fill = class extends HTMLElement {
      connectedCallback() {
        var page = this.getAttribute("data-page");
        var nonce = Fill.pages[page];
        if (nonce === undefined) return; // not sent by a page this file serves: inert
        // Without data-html the panel was empty: its slot keeps the fallback.
        var html = this.getAttribute("data-html");
        (this.getAttribute("data-slots") || "").split(" ").forEach(function (number) {
          marks(page, number).forEach(function (pair) {
            if (html === null) unwrap(pair[0], pair[1]);
            else put(pair[0], pair[1], html, nonce);
          });
        });
        this.remove();
      }
    };
    Fill.pages = Object.create(null);
  }
  if (me) {
    // The page's nonce, as the browser keeps it (the attribute is hidden from the DOM).
    Fill.pages[me.getAttribute("data-page")] = me.nonce || "";
    me.remove();
  }
  if (!defined) window.customElements.define("djl-fill", Fill);
})();
