/* A proposal's own map (read-only): its area or pin. */
(function () {
  "use strict";
  var config = WCS.readJson("proposal-map-config");
  var map = L.map("proposal-map", { keyboard: true, scrollWheelZoom: false });
  WCS.addBasemap(map, config.tiles);
  var layer = null;
  if (config.area) {
    layer = L.geoJSON(config.area, { style: { className: "proposal-area", color: "#d55e00", weight: 3 } }).addTo(map);
    map.fitBounds(layer.getBounds(), { maxZoom: 18 });
  }
  if (config.point) {
    var c = config.point.coordinates;
    WCS.statusMarker([c[1], c[0]], config.status).addTo(map);
    if (!layer) { map.setView([c[1], c[0]], 17); }
  }
  document.getElementById("proposal-map").setAttribute("data-ready", "true");
})();
