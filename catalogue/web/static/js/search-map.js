/* Search results on a map beside the list: every matching record that has a geometry
   (points clustered, polygons and lines drawn as such), a click or Enter on one opens the
   record, and "Search this area" searches again within the map's view (bbox=W,S,E,N).
   The list of results stays the way to read them; this only adds a view of where they are. */
(function () {
  "use strict";

  function round(value) { return Math.round(value * 10000) / 10000; }

  function areaUrl(map, element) {
    var bounds = map.getBounds();
    var west = bounds.getWest(), east = bounds.getEast();
    if (east - west >= 360) { west = -180; east = 180; }
    west = ((west + 540) % 360) - 180; east = ((east + 540) % 360) - 180;  // back into -180..180
    var south = Math.max(-90, bounds.getSouth()), north = Math.min(90, bounds.getNorth());
    var url = new URL(element.getAttribute("data-search") || window.location.href, window.location.href);
    url.searchParams.delete("page");
    url.searchParams.set("bbox", [round(west), round(south), round(east), round(north)].join(","));
    return url.toString();
  }

  function areaControl(map, element) {
    var Control = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var button = L.DomUtil.create("button", "map-area-search");
        button.type = "button";
        button.textContent = element.getAttribute("data-area-label") || "Search this area";
        L.DomEvent.disableClickPropagation(button);
        L.DomEvent.on(button, "click", function () { window.location.href = areaUrl(map, element); });
        return button;
      }
    });
    map.addControl(new Control());
  }

  function open(url) { return function () { window.location.href = url; }; }

  function draw(map, element, collection) {
    var clusters = typeof L.markerClusterGroup === "function"
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 }) : L.layerGroup();
    var shapes = L.featureGroup();
    (collection.features || []).forEach(function (feature) {
      var title = feature.properties.title, url = feature.properties.url;
      if (feature.geometry.type === "Point") {
        var c = feature.geometry.coordinates;
        var marker = L.marker([c[1], c[0]], { title: title, alt: title, keyboard: true });
        marker.on("click", open(url));
        marker.on("keypress", function (event) {  // Enter on a focused marker opens it too
          if (event.originalEvent.keyCode === 13) { open(url)(); }
        });
        clusters.addLayer(marker);
      } else {
        L.geoJSON(feature.geometry, { style: { color: "#073763", weight: 2, fillOpacity: 0.2 } })
          .bindTooltip(title).on("click", open(url)).addTo(shapes);
      }
    });
    shapes.addTo(map);
    clusters.addTo(map);
    element.setAttribute("data-features", String((collection.features || []).length));
    var area = element.getAttribute("data-bbox");
    if (area) {
      var b = area.split(",").map(Number);
      var east = b[2] < b[0] ? b[2] + 360 : b[2];
      var box = L.latLngBounds([b[1], b[0]], [b[3], east]);
      L.rectangle(box, { interactive: false, color: "#b45309", weight: 1, dashArray: "4", fill: false }).addTo(map);
      map.fitBounds(box);
      return;
    }
    var bounds = L.latLngBounds([]);
    if (shapes.getLayers().length) { bounds.extend(shapes.getBounds()); }
    if (clusters.getBounds && clusters.getLayers().length) { bounds.extend(clusters.getBounds()); }
    var closest = element.getAttribute("data-tiles") ? 14 : 8;
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: closest }); }
  }

  function start() {
    var element = document.getElementById("results-map");
    if (!element || typeof L === "undefined" || !window.CatalogueMap) { return; }
    element.hidden = false;
    var map = window.CatalogueMap.create(element);
    map.setView([20, 0], 1);
    areaControl(map, element);
    var source = element.getAttribute("data-source");
    if (!source || !window.fetch) { return; }
    fetch(source, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (collection) { draw(map, element, collection); })
      .catch(function (error) { element.setAttribute("data-features", "failed"); console.error("map: " + error); });
  }

  window.CatalogueMap ? window.CatalogueMap.ready(start) : document.addEventListener("DOMContentLoaded", start);
})();
