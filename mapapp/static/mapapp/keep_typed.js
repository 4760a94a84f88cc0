/* What a person types into a long form is kept in this browser tab (sessionStorage) until
   the server has it, so that a save that never arrives (signed out in another tab, a page
   expired by signing in again, a lost connection) does not lose it. Opened again in the same
   tab, the form offers it back when it differs from what the server shows, in what
   signature() says matters (amounts and geometry as the server writes them back).
   sessionStorage ends with the tab: nothing stays behind on a shared computer. User text is
   only ever set as a field's value. */
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

  function read(key) {
    try { return JSON.parse(window.sessionStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(key, value) {
    try { window.sessionStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or off */ }
  }
  function forget(key) {
    try { window.sessionStorage.removeItem(key); } catch (e) { /* off */ }
  }

  /* options: messages {notSaved (with {time}), restore, discard, restored},
     signature(values) -> string, afterRestore(), key (default: the page's path).
     Returns {kept(), saved(sentValues)}: kept() stores the form as it is now (call it on
     every change); saved(values) tells that the server has those values. */
  function keepTyped(form, options) {
    var key = PREFIX + (options.key || window.location.pathname);
    var signature = options.signature || function (v) { return JSON.stringify(v); };
    var messages = options.messages;

    function kept() { write(key, { at: Date.now(), values: valuesOf(form) }); }

    var backup = read(key);
    if (backup && backup.values) {
      if (signature(backup.values) === signature(valuesOf(form))) {
        forget(key); // the server has it (or the page shows it again after a refusal)
      } else {
        var notice = document.createElement("div");
        notice.className = "typed-notice";
        notice.id = "typed-notice";
        notice.setAttribute("role", "alert");
        var time = new Date(backup.at).toLocaleTimeString(document.documentElement.lang || undefined,
          { hour: "2-digit", minute: "2-digit" });
        var text = document.createElement("p");
        text.textContent = messages.notSaved.replace("{time}", time);
        var restore = document.createElement("button");
        restore.type = "button";
        restore.id = "typed-restore";
        restore.textContent = messages.restore;
        var discard = document.createElement("button");
        discard.type = "button";
        discard.className = "secondary";
        discard.id = "typed-discard";
        discard.textContent = messages.discard;
        var buttons = document.createElement("div");
        buttons.className = "actions";
        buttons.appendChild(restore);
        buttons.appendChild(discard);
        notice.appendChild(text);
        notice.appendChild(buttons);
        form.parentNode.insertBefore(notice, form);
        restore.addEventListener("click", function () {
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
    }
    form.addEventListener("input", kept);
    form.addEventListener("change", kept);
    form.addEventListener("submit", kept);
    return {
      kept: kept,
      valuesOf: function () { return valuesOf(form); },
      saved: function (sent) {
        if (signature(sent) === signature(valuesOf(form))) { forget(key); }
      }
    };
  }

  window.WCS = window.WCS || {};
  window.WCS.keepTyped = keepTyped;
})();
