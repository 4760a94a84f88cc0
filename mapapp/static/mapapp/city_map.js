/* City map: the boundary and the public proposals (clustered), fetched once per view. */
(function () {
  "use strict";
  var config = WCS.readJson("map-config");
  var messages = WCS.readJson("map-messages");
  var status = document.getElementById("map-status");
  var container = document.getElementById("map");

  var parts = { boundary: "", proposals: "" };
  function say(key, text) {
    parts[key] = text;
    if (status) { status.textContent = [parts.boundary, parts.proposals].join(" ").trim(); }
  }

  var map = L.map("map", { keyboard: true });
  window.cityMap = map; // for debugging and browser tests
  if (config.center && config.zoom !== null) {
    map.setView(config.center, config.zoom);
  } else {
    map.fitBounds(config.bounds);
  }
  WCS.addBasemap(map, config.tiles);

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  getJson(config.boundaryUrl).then(function (feature) {
    var layer = L.geoJSON(feature, {
      interactive: false,
      style: { className: "city-boundary", color: "#1f5f8b", weight: 3, fill: true, fillOpacity: 0.04 }
    }).addTo(map);
    if (!(config.center && config.zoom !== null)) { map.fitBounds(layer.getBounds()); }
    container.setAttribute("data-boundary-loaded", "true");
    say("boundary", messages.boundaryLoaded || "");
  }).catch(function () {
    say("boundary", messages.boundaryFailed || "The city boundary could not be loaded.");
  });

  if (config.proposalsUrl) {
    var clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
    var url = config.proposalsUrl + (config.query ? "?" + config.query : "");
    getJson(url).then(function (collection) {
      var urlTemplate = config.proposalUrl.replace(/0\/$/, "");
      var markers = collection.features.map(function (feature) {
        var c = feature.geometry.coordinates;
        var p = feature.properties;
        var marker = WCS.statusMarker([c[1], c[0]], p.status);
        marker.bindPopup(function () {
          return WCS.proposalPopup({
            title: p.title, support_count: p.support_count, url: urlTemplate + p.id + "/",
            status_label: config.statusLabels[p.status] || p.status,
            category_label: config.categoryLabels[p.category] || ""
          }, messages);
        });
        return marker;
      });
      clusters.addLayers(markers);
      map.addLayer(clusters);
      container.setAttribute("data-proposals-loaded", String(markers.length));
      say("proposals", (messages.proposalsLoaded || "%(count)s").replace("%(count)s", markers.length));
    }).catch(function () {
      say("proposals", messages.proposalsFailed || "The proposals could not be loaded.");
    });
  }
})();
