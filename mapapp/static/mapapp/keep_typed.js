/* What a person types into a form is kept in this browser tab (sessionStorage) until the
   server has it, so that a save that never arrives (signed out in another tab, a page
   expired by signing in again, refused for too many requests, a server error) does not lose
   it. Opened again in the same tab, the form offers it back when it differs from what the
   page shows, in what signature() says matters. sessionStorage ends with the tab: nothing
   stays behind on a shared computer. User text is only ever set as a field's value.

   Loaded on every page. A form takes part with data-keep-typed="<name>" (the proposal and
   site editors start it themselves, with their own signature). A sent form is forgotten on
   the next page, unless that page is one where a send ends when it did not arrive (the
   sign-in pages, the refusals and error pages: <body data-keep-typed-pending>; or a page
   with an error message, where a form posted elsewhere comes back refused), which marks it
   as interrupted: its form offers it back. What one account typed is kept under
   an opaque tag of it (keep-typed-config's scope), never offered to another who signs in
   later in the same tab, and signing out (data-keep-typed-forget) forgets it all. */
(function () {
  "use strict";

  var PREFIX = "wcs-typed:";

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (f) {
      return f.name && !f.disabled && f.name !== "csrfmiddlewaretoken" &&
        ["file", "password", "submit", "button", "reset"].indexOf(f.type) < 0;
    });
  }

  // name -> list of values, in the page's order (budget lines share their names)
  function valuesOf(form) {
    var values = {};
    fieldsOf(form).forEach(function (f) {
      var v = (f.type === "checkbox" || f.type === "radio") ? (f.checked ? f.value : "") : f.value;
      (values[f.name] = values[f.name] || []).push(v);
    });
    return values;
  }

  function fill(form, values) {
    var seen = {};
    fieldsOf(form).forEach(function (f) {
      var list = values[f.name];
      if (!list) { return; }
      var i = seen[f.name] = (seen[f.name] === undefined ? 0 : seen[f.name] + 1);
      if (i >= list.length) { return; }
      if (f.type === "checkbox" || f.type === "radio") { f.checked = list[i] === f.value; }
      else { f.value = list[i]; }
    });
  }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; } // off in some browsers
  }
  function read(key) {
    try { return JSON.parse(storage().getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(key, value) {
    try { storage().setItem(key, JSON.stringify(value)); } catch (e) { /* full or off */ }
  }
  function forget(key) {
    try { storage().removeItem(key); } catch (e) { /* off */ }
  }

  // words without extra spaces: what the server keeps of most text
  function words(v) { return String(v || "").replace(/\s+/g, " ").trim(); }
  function tidySignature(values) {
    var out = {};
    Object.keys(values).sort().forEach(function (name) { out[name] = values[name].map(words); });
    return JSON.stringify(out);
  }

  var defaults = {};
  (function () {
    var el = document.getElementById("keep-typed-config");
    if (el) { try { defaults = JSON.parse(el.textContent); } catch (e) { defaults = {}; } }
  })();

  function keptKeys() {
    var store = storage(), keys = [];
    if (!store) { return keys; }
    for (var i = 0; i < store.length; i++) {
      if (String(store.key(i)).indexOf(PREFIX) === 0) { keys.push(store.key(i)); }
    }
    return keys;
  }

  // Signing out on purpose forgets everything kept in the tab.
  document.querySelectorAll("form[data-keep-typed-forget]").forEach(function (form) {
    form.addEventListener("submit", function () { keptKeys().forEach(forget); });
  });

  /* The sent forms: forgotten once a page of their outcome is reached, kept as interrupted
     when that page says the send did not arrive. */
  (function sweep() {
    // a page that says the send did not arrive: the sign-in and error pages, or one the
    // refusal came back to (a form posted elsewhere returns with an error message)
    var pending = (document.body && document.body.hasAttribute("data-keep-typed-pending")) ||
      document.querySelector(".messages .error") !== null;
    keptKeys().forEach(function (key) {
      var kept = read(key);
      if (!kept || !kept.sent || kept.interrupted) { return; }
      if (pending) { kept.interrupted = true; write(key, kept); } else { forget(key); }
    });
  })();

  /* options: key (default: the page's path and the form's data-keep-typed), signature(values)
     -> string, afterRestore(), messages (default: the page's keep-typed-config).
     Returns {kept(), valuesOf(), saved(values)}: kept() stores the form as it is now;
     saved(values) says the server has those values (an autosave). */
  function keepTyped(form, options) {
    options = options || {};
    // one person's, one page's, one form's
    var key = PREFIX + (defaults.scope || "anonymous") + ":" + (options.key ||
      window.location.pathname + "#" + (form.getAttribute("data-keep-typed") || form.id || "form"));
    var signature = options.signature || tidySignature;
    var messages = Object.assign({}, defaults, options.messages || {});

    function kept(sent) {
      write(key, { at: Date.now(), values: valuesOf(form), sent: sent === true });
    }

    var backup = read(key);
    if (backup && backup.values) {
      if (signature(backup.values) === signature(valuesOf(form))) {
        forget(key); // the page shows it already: saved, or given back with a refusal
      } else {
        offer(backup);
      }
    }

    function offer(backup) {
      var notice = document.createElement("div");
      notice.className = "typed-notice";
      notice.setAttribute("role", "alert");

      var time = new Date(backup.at).toLocaleTimeString(document.documentElement.lang || undefined,
        { hour: "2-digit", minute: "2-digit" });
      var text = document.createElement("p");
      text.textContent = String(messages.notSaved || "").replace("{time}", time);
      var restore = document.createElement("button");
      restore.type = "button";
      restore.className = "typed-restore";
      restore.textContent = messages.restore;
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "secondary typed-discard";
      discard.textContent = messages.discard;
      var buttons = document.createElement("div");
      buttons.className = "actions";
      buttons.appendChild(restore);
      buttons.appendChild(discard);
      notice.appendChild(text);
      notice.appendChild(buttons);
      form.insertBefore(notice, form.firstChild);
      var folded = form.closest("details"); // a form behind "Report this", say
      if (folded) { folded.open = true; }
      restore.addEventListener("click", function () {
        // a form that grows rows by script makes room for the kept ones first
        // (proposals/criteria_rows.js)
        form.dispatchEvent(new CustomEvent("wcs:before-restore", { detail: backup.values }));
        fill(form, backup.values);
        text.textContent = messages.restored;
        buttons.remove();
        notice.setAttribute("role", "status");
        kept();
        if (options.afterRestore) { options.afterRestore(); }
      });
      discard.addEventListener("click", function () {
        forget(key);
        notice.remove();
      });
    }

    form.addEventListener("input", function () { kept(); });
    form.addEventListener("change", function () { kept(); });
    form.addEventListener("submit", function () { kept(true); });
    return {
      kept: function () { kept(); },
      valuesOf: function () { return valuesOf(form); },
      saved: function (sent) {
        if (signature(sent) === signature(valuesOf(form))) { forget(key); }
      }
    };
  }

  window.WCS = window.WCS || {};
  window.WCS.keepTyped = keepTyped;
  window.WCS.words = words;

  document.querySelectorAll("form[data-keep-typed]").forEach(function (form) {
    if (!form.hasAttribute("data-map-editor")) { keepTyped(form); }
  });
})();
