/* The portal's map: the town boundaries, the filtered tickets as clustered markers coloured by status (overdue in
   red, and counted on each cluster) and a heat layer of report density, from the JSON endpoints the map element
   names in its data- attributes. Tiles only when a tile server is configured; otherwise a plain background. */
(function () {
  'use strict';
  var element = document.getElementById('map');
  var summary = document.getElementById('map-summary');
  if (!element || !window.L) {
    if (summary) summary.textContent = '地图组件未能加载，请刷新页面重试。';
    return;
  }
  var data = element.dataset;
  var wide = window.matchMedia('(min-width: 641px)').matches;
  var filters = document.getElementById('map-filters');
  if (filters && wide) filters.open = true;   // on a phone the filters fold away above the map

  var DISTRICT = [37.73, 112.47];            // 晋源区, until the boundaries have loaded
  var maxZoom = Number(data.tileMaxZoom) || 18;   // the cluster layer needs one even with no tiles to set it
  var map = L.map(element, {center: DISTRICT, zoom: 11, maxZoom: maxZoom, zoomSnap: 0.25});
  map.createPane('town-labels');   // above the boundaries, below the markers (map.css), so no name hides a count
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, {attribution: data.tileAttribution || '', subdomains: data.tileSubdomains || 'abc',
                               maxZoom: maxZoom}).addTo(map);
  } else {
    element.classList.add('plain');
  }

  var towns = L.geoJSON(null, {
    interactive: false,
    style: function (feature) { return {className: 'town' + (feature.properties.own ? ' own' : '')}; },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(feature.properties.name, {permanent: true, direction: 'center', className: 'town-label',
                                                  pane: 'town-labels'});
    }
  }).addTo(map);
  var drawn = null;   // what to say once every marker is in: thousands are added in chunks, the page stays live
  var markers = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50, iconCreateFunction: clusterIcon,
    chunkProgress: function (processed, total) {
      if (processed < total) {
        summary.textContent = '正在绘制工单 ' + processed + ' / ' + total + '…';
      } else if (drawn) {
        drawn();
      }
    }
  }).addTo(map);
  var heat = L.heatLayer([], {radius: 24, blur: 18, maxZoom: 15});
  L.control.layers(null, {'工单标记': markers, '热力图（反映密度）': heat, '镇街边界': towns},
                   {collapsed: !wide}).addTo(map);

  function clusterIcon(cluster) {
    var children = cluster.getAllChildMarkers(), late = 0;
    for (var i = 0; i < children.length; i++) if (children[i].options.ticket[5]) late++;
    var count = cluster.getChildCount();
    var size = count < 10 ? 'small' : count < 100 ? 'medium' : 'large';
    return L.divIcon({
      html: '<div><span>' + count + '</span></div>' + (late ? '<b class="late">' + late + '</b>' : ''),
      className: 'marker-cluster marker-cluster-' + size + (late ? ' has-overdue' : ''),
      iconSize: L.point(40, 40)
    });
  }

  function line(box, label, text) {
    var row = document.createElement('div');
    row.textContent = label + '：' + text;
    box.appendChild(row);
    return row;
  }

  function popupFor(ticket, tables) {
    var box = document.createElement('div');
    box.className = 'map-popup';
    var link = document.createElement('a');
    link.href = data.ticket.replace('__number__', encodeURIComponent(ticket[0]));
    link.textContent = ticket[0];
    link.className = 'number';
    box.appendChild(link);
    line(box, '类别', (tables.categories[ticket[4]] || ['', '其他'])[1]);
    var status = line(box, '状态', tables.statuses[ticket[3]][1]);
    if (ticket[5]) {
      var badge = document.createElement('span');
      badge.className = 'badge overdue';
      badge.textContent = '超期';
      status.appendChild(document.createTextNode(' '));
      status.appendChild(badge);
    }
    var open = document.createElement('a');
    open.href = link.href;
    open.textContent = '打开工单 →';
    open.className = 'open';
    box.appendChild(open);
    return box;
  }

  function drawTickets(body) {
    var shown = [], points = [], late = 0;
    body.tickets.forEach(function (ticket) {
      var kind = body.statuses[ticket[3]][2];
      if (ticket[5]) late++;
      shown.push(L.circleMarker([ticket[1], ticket[2]], {
        radius: ticket[5] ? 9 : 7, className: 'ticket ' + kind + (ticket[5] ? ' overdue' : ''), ticket: ticket
      }));
      points.push([ticket[1], ticket[2]]);
    });
    var words = '没有符合条件且有定位的工单';
    if (body.tickets.length) words = '地图上 ' + body.tickets.length + ' 件工单' + (late ? '，其中超期 ' + late + ' 件' : '');
    if (body.truncated) words += '（只显示最新的 ' + body.limit + ' 件）';
    if (body.without_location) words += '；另有 ' + body.without_location + ' 件没有定位，未在图上显示';
    drawn = function () {
      summary.textContent = words + '。';
      element.setAttribute('data-loaded', 'true');
    };
    markers.addLayers(shown);
    heat.setLatLngs(points);
    markers.on('click', function (event) {
      L.popup({maxWidth: 240}).setLatLng(event.layer.getLatLng())
        .setContent(popupFor(event.layer.options.ticket, body)).openOn(map);
    });
  }

  function drawTowns(collection) {
    towns.addData(collection);
    var bounds = towns.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, {padding: [8, 8], animate: false});
  }

  function json(url) {
    return fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}}).then(function (response) {
      var type = response.headers.get('Content-Type') || '';
      if (!response.ok || type.indexOf('json') < 0) throw new Error(url + ': ' + response.status);
      return response.json();
    });
  }

  Promise.all([json(data.towns), json(data.points)]).then(function (loaded) {
    drawTowns(loaded[0]);
    drawTickets(loaded[1]);
  }).catch(function (error) {
    summary.textContent = data.failed || '地图数据加载失败，请刷新页面重试；如已退出登录，请重新登录。';
    summary.classList.add('error');
    if (window.console) console.error(error);
  });
})();
