// Clips the base map of a cell's region out of the vendored open datasets,
// at vendoring time (scripts/vendor-web-assets runs it): no tile server can
// be reached from the cell, so the map draws these vector layers itself.
//
//   node scripts/clip-basemap.mjs COUNTRIES_10M.json LAKES.geo.json WEST,SOUTH,EAST,NORTH OUT.geojson
//
// COUNTRIES_10M.json is world-atlas's TopoJSON of Natural Earth's admin-0
// countries at 1:10m: an arc shared by two countries is a border, an arc of
// one country alone is a coast. LAKES.geo.json is @geo-maps's lakes (from
// OpenStreetMap); only lakes of some size are kept (the Sea of Galilee,
// not every fish pond). The output is one GeoJSON FeatureCollection whose
// features carry a "layer" property: land, coast, border, lake.
import { readFileSync, writeFileSync } from 'node:fs';

const [topoPath, lakesPath, bboxArg, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: clip-basemap.mjs COUNTRIES_10M.json LAKES.geo.json WEST,SOUTH,EAST,NORTH OUT.geojson');
  process.exit(2);
}
const [W, S, E, N] = bboxArg.split(',').map(Number);
if (![W, S, E, N].every(Number.isFinite) || !(W < E && S < N)) throw new Error('bad bbox ' + bboxArg);

// Ten metres is finer than either dataset: more digits would only add bytes.
const round = (v) => Math.round(v * 1e4) / 1e4;
const pt = ([x, y]) => [round(x), round(y)];

// --- TopoJSON, decoded (quantized arcs, delta-encoded) ---
const topo = JSON.parse(readFileSync(topoPath, 'utf8'));
const [sx, sy] = topo.transform.scale;
const [tx, ty] = topo.transform.translate;
const arcs = topo.arcs.map((a) => {
  let x = 0, y = 0;
  return a.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
});
const arc = (i) => (i < 0 ? arcs[~i].slice().reverse() : arcs[i]);
function ring(ids) {
  const out = [];
  ids.forEach((i, k) => out.push(...(k ? arc(i).slice(1) : arc(i))));
  return out;
}
function polygonsOf(g) {
  if (g.type === 'Polygon') return [g.arcs];
  if (g.type === 'MultiPolygon') return g.arcs;
  return [];
}

// --- clipping to the rectangle ---
const inside = ([x, y]) => x >= W && x <= E && y >= S && y <= N;

// clipSegment is Liang–Barsky: the part of a→b inside the rectangle, or null.
function clipSegment(a, b) {
  let t0 = 0, t1 = 1;
  const dx = b[0] - a[0], dy = b[1] - a[1];
  for (const [p, q] of [[-dx, a[0] - W], [dx, E - a[0]], [-dy, a[1] - S], [dy, N - a[1]]]) {
    if (p === 0) { if (q < 0) return null; continue; }
    const r = q / p;
    if (p < 0) { if (r > t1) return null; if (r > t0) t0 = r; } else { if (r < t0) return null; if (r < t1) t1 = r; }
  }
  return [[a[0] + t0 * dx, a[1] + t0 * dy], [a[0] + t1 * dx, a[1] + t1 * dy]];
}

// clipLine cuts a polyline into the runs that lie inside the rectangle.
function clipLine(line) {
  const runs = [];
  let cur = null;
  for (let i = 0; i + 1 < line.length; i++) {
    const c = clipSegment(line[i], line[i + 1]);
    if (!c) { if (cur) { runs.push(cur); cur = null; } continue; }
    if (!cur) cur = [c[0]];
    cur.push(c[1]);
    if (!inside(line[i + 1])) { runs.push(cur); cur = null; }
  }
  if (cur) runs.push(cur);
  return runs.map((r) => dedupe(r.map(pt))).filter((r) => r.length >= 2);
}

function dedupe(ps) {
  return ps.filter((p, i) => i === 0 || p[0] !== ps[i - 1][0] || p[1] !== ps[i - 1][1]);
}

// clipRing is Sutherland–Hodgman against each edge of the rectangle. A
// concave ring may come out with edges along the rectangle's border; the
// land is drawn filled without an outline, so they do not show.
function clipRing(r) {
  const edges = [
    [(p) => p[0] >= W, (a, b) => [W, a[1] + (b[1] - a[1]) * (W - a[0]) / (b[0] - a[0])]],
    [(p) => p[0] <= E, (a, b) => [E, a[1] + (b[1] - a[1]) * (E - a[0]) / (b[0] - a[0])]],
    [(p) => p[1] >= S, (a, b) => [a[0] + (b[0] - a[0]) * (S - a[1]) / (b[1] - a[1]), S]],
    [(p) => p[1] <= N, (a, b) => [a[0] + (b[0] - a[0]) * (N - a[1]) / (b[1] - a[1]), N]],
  ];
  let ps = r.slice(0, -1);
  for (const [inEdge, cut] of edges) {
    const out = [];
    for (let i = 0; i < ps.length; i++) {
      const a = ps[(i + ps.length - 1) % ps.length], b = ps[i];
      if (inEdge(b)) {
        if (!inEdge(a)) out.push(cut(a, b));
        out.push(b);
      } else if (inEdge(a)) {
        out.push(cut(a, b));
      }
    }
    ps = out;
    if (ps.length === 0) return null;
  }
  ps = dedupe(ps.map(pt));
  if (ps.length < 3) return null;
  return [...ps, ps[0]];
}

const features = [];

// Land, filled.
const land = [];
for (const g of topo.objects.land.geometries) {
  for (const poly of polygonsOf(g)) {
    const outer = clipRing(ring(poly[0]));
    if (!outer) continue;
    const holes = poly.slice(1).map((h) => clipRing(ring(h))).filter(Boolean);
    land.push([outer, ...holes]);
  }
}
features.push({ type: 'Feature', properties: { layer: 'land' }, geometry: { type: 'MultiPolygon', coordinates: land } });

// Borders and coasts, from who uses each arc.
const users = new Map();
for (const g of topo.objects.countries.geometries) {
  for (const poly of polygonsOf(g)) for (const r of poly) for (const i of r) {
    const k = i < 0 ? ~i : i;
    if (!users.has(k)) users.set(k, new Set());
    users.get(k).add(g.id ?? g.properties?.name);
  }
}
const borders = [], coasts = [];
for (const [k, who] of users) {
  (who.size > 1 ? borders : coasts).push(...clipLine(arcs[k]));
}
features.push({ type: 'Feature', properties: { layer: 'coast' }, geometry: { type: 'MultiLineString', coordinates: coasts } });
features.push({ type: 'Feature', properties: { layer: 'border' }, geometry: { type: 'MultiLineString', coordinates: borders } });

// Lakes of some size: about five square kilometres and up.
const lakes = JSON.parse(readFileSync(lakesPath, 'utf8'));
const lakeGeoms = lakes.features ? lakes.features.map((f) => f.geometry) : (lakes.geometries || [lakes]);
function area(r) {
  let a = 0;
  for (let i = 0; i + 1 < r.length; i++) a += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  return Math.abs(a / 2);
}
const kept = [];
for (const g of lakeGeoms) {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  for (const poly of polys) {
    if (area(poly[0]) < 0.0005) continue;
    const outer = clipRing(poly[0]);
    if (outer) kept.push([outer]);
  }
}
features.push({ type: 'Feature', properties: { layer: 'lake' }, geometry: { type: 'MultiPolygon', coordinates: kept } });

const out = { type: 'FeatureCollection', bbox: [W, S, E, N], features };
writeFileSync(outPath, JSON.stringify(out) + '\n');
const count = (f) => JSON.stringify(f.geometry.coordinates).split('],[').length;
console.log(`clipped to ${bboxArg}: ` + features.map((f) => `${f.properties.layer} ${count(f)} points`).join(', '));
