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
    revoked: "#8c510a",
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

  // "Find a district, park or other place": a gazetteer of the city's own public layers
  // (no outside geocoder) at root's data-url. root holds #place-q, #place-find, #place-status
  // and #place-results, and its data-* texts; it may sit inside another form (the editors),
  // so Enter in the field searches instead of sending that form. Names are set as text.
  // pin(latlng), if given (the editors), is offered for a place that is a point (an
  // address): "Put the pin here" places the project's pin on it. A root of class
  // place-search-control (the embed, the analysis map) becomes a control over the map, in
  // the corner its data-position names (default top right).
  function placeSearch(map, root, marked, pin) {
    if (root.classList.contains("place-search-control")) {
      var control = L.control({ position: root.dataset.position || "topright" });
      control.onAdd = function () {
        L.DomEvent.disableClickPropagation(root);
        L.DomEvent.disableScrollPropagation(root);
        return root;
      };
      control.addTo(map);
    }
    var input = root.querySelector("#place-q");
    var status = root.querySelector("#place-status");
    var list = root.querySelector("#place-results");
    var outline = null;
    var pinButton = null;
    var searched = 0;
    root.hidden = false;
    function offerPin(place) {
      if (pinButton) { pinButton.remove(); pinButton = null; }
      if (!pin || !place || place.geometry.type !== "Point") { return; }
      var c = place.geometry.coordinates;
      pinButton = el("button", root.dataset.pin, "secondary place-pin");
      pinButton.type = "button";
      pinButton.addEventListener("click", function () {
        pin(L.latLng(c[1], c[0]));
        status.textContent = root.dataset.pinned.replace("%(name)s", place.name);
        pinButton.remove(); pinButton = null;
      });
      status.parentNode.insertBefore(pinButton, status.nextSibling);
    }
    function show(place) {
      if (outline) { map.removeLayer(outline); }
      outline = L.geoJSON(place.geometry, {
        interactive: false,
        style: { className: "place-outline", color: "#a14a00", weight: 3, dashArray: "8 6", fill: false },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, { radius: 10, className: "place-outline", color: "#a14a00", weight: 3, fill: false });
        }
      }).addTo(map);
      var options = { maxZoom: 17, padding: [24, 24] };
      if (map.getContainer().contains(root)) { // a control over the map: fit below it
        var top = root.getBoundingClientRect().bottom - map.getContainer().getBoundingClientRect().top;
        options = { maxZoom: 17, paddingTopLeft: [24, top + 12], paddingBottomRight: [24, 24] };
      }
      map.fitBounds(outline.getBounds(), options);
      status.textContent = root.dataset.shown.replace("%(name)s", place.name);
      if (marked) { marked.setAttribute("data-place-shown", String(place.id)); }
      offerPin(place);
    }
    // typed: the results follow as one types (three characters or more, once typing
    // pauses), without moving the map; asked (Enter, the button): a single result is shown
    function search(typed) {
      var mine = ++searched;
      clearTimeout(typing);
      offerPin(null);
      var url = root.dataset.url + "?q=" + encodeURIComponent(input.value);
      fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) { // the server's reason (a name too short, too long)
            var refused = new Error(answer.error || "");
            refused.said = true;
            throw refused;
          }
          return answer.places;
        });
      }).then(function (places) {
        if (mine !== searched) { return; } // another search meanwhile
        listPlaces(places);
        status.textContent = places.length ?
          root.dataset.found.replace("%(n)s", places.length) : root.dataset.none;
        if (places.length === 1 && typed !== true) { choose(0); }
      }).catch(function (error) {
        if (mine !== searched) { return; }
        listPlaces([]);
        status.textContent = (error.said && error.message) || root.dataset.failed;
      });
    }
    // The field and its results are an ARIA combobox with a listbox popup (the WAI-ARIA
    // Authoring Practices' pattern): focus stays in the field; the arrow keys move through
    // the results (aria-activedescendant), Enter chooses the one marked (or searches when
    // none is), Escape closes the results, then clears the field. A click chooses too.
    var found = [];
    var active = -1;
    function expand(open) {
      var on = open && found.length > 0;
      list.hidden = !on;
      input.setAttribute("aria-expanded", on ? "true" : "false");
      if (!on) { mark(-1); }
    }
    function mark(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function choose(index) {
      var place = found[index];
      input.value = place.name;
      expand(false);
      show(place);
    }
    function listPlaces(places) {
      found = places;
      list.textContent = "";
      places.forEach(function (place, i) {
        var item = el("li", place.name);
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.appendChild(el("span", " · " + place.kind_label, "hint"));
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(i); });
        list.appendChild(item);
      });
      expand(true);
    }
    var typing = null;
    var TYPED_MIN = 3, TYPED_PAUSE_MS = 400;
    root.querySelector("#place-find").addEventListener("click", function () { search(); });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "Enter") {
        event.preventDefault(); // not the editor's form
        if (open && active >= 0) { choose(active); } else { search(); }
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!found.length) { return; }
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        if (!open) { expand(true); mark(step > 0 ? 0 : found.length - 1); return; }
        mark(active < 0 ? (step > 0 ? 0 : found.length - 1) :
          (active + step + found.length) % found.length);
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); expand(false); } else if (input.value) {
          event.preventDefault(); input.value = "";
        }
      }
    });
    input.addEventListener("input", function () {
      clearTimeout(typing);
      if (input.value.trim().length < TYPED_MIN) { return; }
      typing = setTimeout(function () { search(true); }, TYPED_PAUSE_MS);
    });
  }

  // Vector tiles of a large layer (geodata/tiles.py): below AGGREGATED_BELOW each feature is
  // a cell of a 64 x 64 grid over its tile, 4 pixels apart, with `count`. Drawn as the web map
  // used to (markers of 5 to 18 pixels) a city of 100,000 proposals was one blot; small,
  // translucent dots, darker where more fall together, show where they are.
  var AGGREGATED_BELOW = 14;
  var CLUSTER_COLOR = "#1f5f8b";
  function tileStyle(layer) {
    return function (p, zoom) {
      var n = +p.count || 1;
      var color = layer === "proposals" ? (STATUS_COLORS[p.status] || "#555555") :
        layer === "sites" ? (SITE_COLORS[p.condition] || "#555555") : "#2c7a3f";
      if (zoom >= AGGREGATED_BELOW) {
        return { radius: 5, weight: 1, color: "#ffffff", fill: true, fillColor: color,
                 fillOpacity: 0.85 };
      }
      if (n === 1) {
        return { radius: 2.5, weight: 0, fill: true, fillColor: color, fillOpacity: 0.9 };
      }
      return { radius: Math.min(4.5, 2 + 0.5 * Math.log(n)), weight: 0, fill: true,
               fillColor: CLUSTER_COLOR, fillOpacity: Math.min(0.85, 0.35 + 0.1 * Math.log(n)) };
    };
  }

  window.WCS = Object.assign(window.WCS || {}, {
    readJson: readJson, addBasemap: addBasemap, el: el, proposalPopup: proposalPopup,
    statusMarker: statusMarker, STATUS_COLORS: STATUS_COLORS, SITE_COLORS: SITE_COLORS,
    placeSearch: placeSearch, tileStyle: tileStyle, AGGREGATED_BELOW: AGGREGATED_BELOW
  });

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
