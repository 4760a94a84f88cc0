/* The export form: the chosen collection goes into the path, empty fields are left out. */
(function () {
  "use strict";
  var form = document.getElementById("export-form");
  var select = document.getElementById("export-collection");
  if (!form || !select) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = select.getAttribute("data-url-template").replace("COLLECTION", encodeURIComponent(select.value));
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name !== "collection" && el.value) { params.append(el.name, el.value); }
    });
    window.location.href = url + "?" + params.toString();
  });
})();
