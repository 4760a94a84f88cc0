/* City map: basemap tiles (optional, may fail offline) and our own layers from the API.
   Configuration comes from the page via json_script; no user text is ever put into code. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  var config = readJson("map-config");
  var messages = readJson("map-messages");
  var status = document.getElementById("map-status");

  function say(text) {
    if (status) { status.textContent = text; }
  }

  var map = L.map("map", { zoomControl: true, keyboard: true });
  window.cityMap = map; // for debugging and browser tests

  if (config.center && config.zoom !== null) {
    map.setView(config.center, config.zoom);
  } else {
    map.fitBounds(config.bounds);
  }

  // The basemap is decoration: when tiles cannot load (no internet) our layers still work.
  L.tileLayer(config.tiles.url, {
    maxZoom: 19,
    attribution: config.tiles.attribution,
    crossOrigin: true
  }).addTo(map);

  fetch(config.boundaryUrl, { headers: { Accept: "application/geo+json, application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (feature) {
      var layer = L.geoJSON(feature, {
        interactive: false,
        style: { className: "city-boundary", color: "#1f5f8b", weight: 3, fill: true, fillOpacity: 0.04 }
      }).addTo(map);
      if (!(config.center && config.zoom !== null)) { map.fitBounds(layer.getBounds()); }
      map.getContainer().setAttribute("data-boundary-loaded", "true");
      say(messages.boundaryLoaded || "");
    })
    .catch(function () {
      say(messages.boundaryFailed || "Could not load the city boundary.");
    });
})();
