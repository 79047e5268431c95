/* Draws a record's (or a place's) geometry on the shared base map (map-base.js).
   Progressive enhancement: without JavaScript the page still gives the coordinates as text. */
(function () {
  "use strict";
  function draw() {
    var element = document.getElementById("map");
    if (!element || typeof L === "undefined" || !window.CatalogueMap) { return; }
    var geometry;
    try { geometry = JSON.parse(element.getAttribute("data-geometry")); } catch (e) { return; }
    var map = window.CatalogueMap.create(element);
    var layer = L.geoJSON(geometry, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 8, weight: 2, color: "#073763", fillColor: "#0b5394", fillOpacity: 0.7 });
      },
      style: { color: "#073763", weight: 2, fillOpacity: 0.25 }
    }).addTo(map);
    // the world outline says little closer in than a region; tiles show streets
    var closest = element.getAttribute("data-tiles") ? 16 : 8;
    if (geometry.type === "Point") {
      map.setView(layer.getBounds().getCenter(), Math.min(12, closest));
    } else {
      map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: closest });
    }
  }
  window.CatalogueMap ? window.CatalogueMap.ready(draw) : document.addEventListener("DOMContentLoaded", draw);
})();
