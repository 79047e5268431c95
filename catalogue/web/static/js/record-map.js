/* Draws a record's geometry with Leaflet. Progressive enhancement: without JavaScript or
   tiles the page still gives the coordinates as text. Loaded as a file (CSP: no inline). */
(function () {
  "use strict";
  function draw() {
    var element = document.getElementById("map");
    if (!element || typeof L === "undefined") { return; }
    var geometry;
    try { geometry = JSON.parse(element.getAttribute("data-geometry")); } catch (e) { return; }
    L.Icon.Default.imagePath = element.getAttribute("data-images") || L.Icon.Default.imagePath;
    var map = L.map(element, { scrollWheelZoom: false, zoomControl: false });
    // the page's words, not Leaflet's English ones
    L.control.zoom({ zoomInTitle: element.getAttribute("data-zoom-in") || "Zoom in",
                     zoomOutTitle: element.getAttribute("data-zoom-out") || "Zoom out" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" hreflang="en">Leaflet</a>');
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { attribution: element.getAttribute("data-attribution") || "", maxZoom: 18 }).addTo(map);
    }
    var layer = L.geoJSON(geometry, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 8, weight: 2, color: "#073763", fillColor: "#0b5394", fillOpacity: 0.7 });
      },
      style: { color: "#073763", weight: 2, fillOpacity: 0.25 }
    }).addTo(map);
    if (geometry.type === "Point") {
      map.setView(layer.getBounds().getCenter(), 14);
    } else {
      map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
