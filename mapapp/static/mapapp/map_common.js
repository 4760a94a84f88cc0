/* Helpers shared by our maps. User text is only ever set with textContent. */
(function () {
  "use strict";

  var STATUS_COLORS = {
    collecting_support: "#e69f00",
    submitted: "#56b4e9",
    ineligible: "#999999",
    in_assessment: "#0072b2",
    rejected: "#7f7f7f",
    granted: "#009e73",
    agreement_signed: "#009e73",
    in_progress: "#cc79a7",
    completed: "#d55e00",
    sustainability: "#2c7a3f",
    closed: "#444444",
    draft: "#bbbbbb"
  };

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  function addBasemap(map, tiles) {
    // Decoration only: when tiles cannot load (no internet) our own layers still work.
    L.tileLayer(tiles.url, { maxZoom: 19, attribution: tiles.attribution, crossOrigin: true }).addTo(map);
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function proposalPopup(props, labels) {
    var box = el("div", null, "popup");
    box.appendChild(el("strong", props.title));
    box.appendChild(el("div", props.status_label, "popup-status"));
    if (props.category_label) { box.appendChild(el("div", props.category_label)); }
    box.appendChild(el("div", (labels.supporters || "Supporters") + ": " + props.support_count));
    var link = el("a", labels.open || "Open");
    link.href = props.url;
    box.appendChild(link);
    return box;
  }

  function statusMarker(latlng, status) {
    return L.circleMarker(latlng, {
      radius: 8, weight: 2, color: "#ffffff", fillOpacity: 0.9,
      fillColor: STATUS_COLORS[status] || "#333333",
      className: "proposal-marker status-" + status
    });
  }

  var SITE_COLORS = { neglected: "#b2182b", being_revitalised: "#ef8a62", revitalised: "#67a9cf" };

  window.WCS = {
    readJson: readJson, addBasemap: addBasemap, el: el, proposalPopup: proposalPopup,
    statusMarker: statusMarker, STATUS_COLORS: STATUS_COLORS, SITE_COLORS: SITE_COLORS
  };

  // Filter forms submit on change (the state lives in the URL, so it can be shared).
  document.querySelectorAll("form[data-autosubmit] select, form[data-autosubmit] input[type=checkbox]")
    .forEach(function (input) {
      input.addEventListener("change", function () {
        // keep the map view (the hash) across the reload
        input.form.action = input.form.getAttribute("action").split("#")[0] + window.location.hash;
        input.form.submit();
      });
    });
})();
