"""A network's graph: nodes (with optional coordinates) and fibre links with their lengths."""

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), m


def great_circle_m(lon1, lat1, lon2, lat2) -> float:
    """Great-circle distance (m) between two points given in degrees (haversine formula;
    R. W. Sinnott, "Virtues of the haversine", Sky and Telescope 68(2), 1984)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


@dataclasses.dataclass(frozen=True)
class Topology:
    """Nodes and fibre links of a network (hashable: a `Network` holds it as a static field).

    **Fields:**

    - `name`: the topology's name.
    - `nodes`: node names, in order; a node's index is its position here.
    - `coordinates`: `(longitude, latitude)` of each node in degrees, or None.
    - `source`, `target`: end nodes (indices) of each link.
    - `length`: length of each link, m.
    - `directed`: True (default): each link is one fibre carrying light from `source` to `target`
      (a bidirectional pair is two links with their own spectra). False: one spectrum per link,
      used in both directions (as in the direct-RSA experiment of seed 001).
    """

    name: str
    nodes: tuple[str, ...]
    coordinates: tuple[tuple[float, float], ...] | None
    source: tuple[int, ...]
    target: tuple[int, ...]
    length: tuple[float, ...]
    directed: bool = True

    def __post_init__(self):
        n = len(self.nodes)
        if n < 2:
            raise ValueError(f"Topology `{self.name}`: a network needs at least 2 nodes; got {n}.")
        if len(set(self.nodes)) != n:
            raise ValueError(f"Topology `{self.name}`: node names must be unique.")
        if not (len(self.source) == len(self.target) == len(self.length)) or not self.source:
            raise ValueError(f"Topology `{self.name}`: `source`, `target` and `length` need one entry per link (at least one).")
        if self.coordinates is not None and len(self.coordinates) != n:
            raise ValueError(f"Topology `{self.name}`: `coordinates` needs one (longitude, latitude) per node.")
        seen = set()
        for i, (s, t, length) in enumerate(zip(self.source, self.target, self.length)):
            if not (0 <= s < n and 0 <= t < n):
                raise ValueError(f"Topology `{self.name}`: link {i} joins unknown node index {s if not 0 <= s < n else t}.")
            if s == t:
                raise ValueError(f"Topology `{self.name}`: link {i} is a loop on node `{self.nodes[s]}`.")
            if not (np.isfinite(length) and length > 0):
                raise ValueError(f"Topology `{self.name}`: link {i} ({self.nodes[s]}-{self.nodes[t]}) has length {length} m; lengths must be > 0.")
            key = (s, t) if self.directed else tuple(sorted((s, t)))
            if key in seen:
                raise ValueError(f"Topology `{self.name}`: link {i} ({self.nodes[s]}-{self.nodes[t]}) is given twice.")
            seen.add(key)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_links(self) -> int:
        return len(self.source)

    def node_index(self, node) -> int:
        """The index of `node` (its name, or an index)."""
        if isinstance(node, (int, np.integer)) and not isinstance(node, bool):
            if not 0 <= node < self.n_nodes:
                raise ValueError(f"Unknown node index {node}: `{self.name}` has nodes 0..{self.n_nodes - 1}.")
            return int(node)
        i = self._nodes_by_name.get(str(node))
        if i is None:
            shown = ", ".join(self.nodes[:30]) + (", ..." if self.n_nodes > 30 else "")
            raise ValueError(f"Unknown node {node!r} in `{self.name}`; nodes are {shown}.")
        return i

    @functools.cached_property
    def _links_by_ends(self) -> dict[tuple[int, int], int]:
        index = {}
        for k, (s, t) in enumerate(zip(self.source, self.target)):
            index[(s, t)] = k
            if not self.directed:
                index[(t, s)] = k
        return index

    @functools.cached_property
    def _nodes_by_name(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.nodes)}

    def link_index(self, a, b) -> int:
        """The index of the link from node `a` to node `b` (names or indices); for an undirected
        topology, of the link joining them."""
        i, j = self.node_index(a), self.node_index(b)
        k = self._links_by_ends.get((i, j))
        if k is None:
            raise ValueError(f"No link from `{self.nodes[i]}` to `{self.nodes[j]}` in `{self.name}`.")
        return k

    def route(self, path: Sequence) -> tuple[int, ...]:
        """The link indices of a path given as a sequence of nodes (names or indices)."""
        nodes = [self.node_index(v) for v in path]
        if len(nodes) < 2:
            raise ValueError(f"A path needs at least 2 nodes; got {list(path)!r}.")
        if len(set(nodes)) != len(nodes):
            raise ValueError(f"The path {list(path)!r} visits a node twice (not a path).")
        return tuple(self.link_index(a, b) for a, b in zip(nodes[:-1], nodes[1:]))

    def path_length(self, route: "Sequence[int] | np.ndarray") -> float:
        """Total length (m) of a route given as link indices."""
        return float(sum(self.length[int(k)] for k in route))

    def to_networkx(self):
        """A networkx `DiGraph` (or `Graph` if undirected) with `length` (m) on each edge and the
        link index as `link`."""
        import networkx as nx

        g = nx.DiGraph() if self.directed else nx.Graph()
        for i, name in enumerate(self.nodes):
            attrs = {} if self.coordinates is None else {"pos": self.coordinates[i]}
            g.add_node(i, name=name, **attrs)
        for k, (s, t, length) in enumerate(zip(self.source, self.target, self.length)):
            g.add_edge(s, t, length=length, link=k)
        return g

    # ---- constructors -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping, *, directed: bool = True, name: str | None = None) -> "Topology":
        """From optnet's topology JSON (the format of `optnet/data/topologies/`): `nodes` with `id`,
        optional `name`, `longitude`, `latitude`; `links` with `source`, `target` (node ids) and
        `length_km` (or `length_m`), one entry per bidirectional pair. With `directed=True` each
        pair becomes two links (a to b, then b to a)."""
        where = f"topology {data.get('name', name)!r}" if isinstance(data, Mapping) else "topology"
        if not isinstance(data, Mapping) or not isinstance(data.get("nodes"), list) or not isinstance(data.get("links"), list):
            raise ValueError(f"{where}: expected an object with lists `nodes` and `links`.")
        ids, names, coords = [], [], []
        for i, node in enumerate(data["nodes"]):
            if not isinstance(node, Mapping) or "id" not in node:
                raise ValueError(f"{where}: nodes[{i}] needs an `id`.")
            ids.append(node["id"])
            names.append(str(node.get("name", node["id"])))
            if "longitude" in node and "latitude" in node:
                coords.append((float(node["longitude"]), float(node["latitude"])))
        index = {v: i for i, v in enumerate(ids)}
        if len(index) != len(ids):
            raise ValueError(f"{where}: node ids must be unique.")
        pairs = []
        for i, link in enumerate(data["links"]):
            if not isinstance(link, Mapping) or "source" not in link or "target" not in link:
                raise ValueError(f"{where}: links[{i}] needs `source` and `target`.")
            for end in ("source", "target"):
                if link[end] not in index:
                    raise ValueError(f"{where}: links[{i}].{end} = {link[end]!r} is not a node id.")
            if "length_km" in link:
                length = float(link["length_km"]) * 1e3
            elif "length_m" in link:
                length = float(link["length_m"])
            else:
                raise ValueError(f"{where}: links[{i}] needs `length_km` (or `length_m`).")
            if not (np.isfinite(length) and length > 0):
                raise ValueError(f"{where}: links[{i}] has length {length / 1e3:g} km; lengths must be > 0.")
            pairs.append((index[link["source"]], index[link["target"]], length))
        return cls._from_pairs(
            name or str(data.get("name", "topology")), names,
            tuple(coords) if len(coords) == len(names) else None, pairs, directed,
        )

    @classmethod
    def from_networkx(cls, graph, *, length: str = "length", route_factor: float = 1.0,
                      directed: bool | None = None, name: str | None = None) -> "Topology":
        """From a networkx graph. Each edge's length (m) is its attribute `length` (or `length_km`,
        km); without either, the great-circle distance between the nodes' `pos` (longitude,
        latitude in degrees) times `route_factor`. An undirected graph gives two directed links
        per edge unless `directed=False`."""
        nodes = list(graph.nodes)
        index = {v: i for i, v in enumerate(nodes)}
        pos = [graph.nodes[v].get("pos") for v in nodes]
        coords = tuple((float(p[0]), float(p[1])) for p in pos) if all(p is not None for p in pos) else None
        pairs = []
        for a, b, attrs in graph.edges(data=True):
            if length in attrs:
                meters = float(attrs[length])
            elif "length_km" in attrs:
                meters = float(attrs["length_km"]) * 1e3
            elif coords is not None:
                meters = route_factor * great_circle_m(*coords[index[a]], *coords[index[b]])
            else:
                raise ValueError(f"Edge {a}-{b} has no `{length}` and the nodes have no `pos` to measure it from.")
            pairs.append((index[a], index[b], meters))
        graph_directed = graph.is_directed()
        if directed is None:
            directed = True
        names = [str(graph.nodes[v].get("name", v)) for v in nodes]
        if graph_directed:
            return cls(name or str(graph.graph.get("name", "graph")), tuple(names), coords,
                       tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), tuple(p[2] for p in pairs), True)
        return cls._from_pairs(name or str(graph.graph.get("name", "graph")), names, coords, pairs, directed)

    @classmethod
    def from_topohub(cls, key: str, *, route_factor: float = 1.0, directed: bool = True) -> "Topology":
        """A topology of the `topohub` package (SNDlib, Topology Zoo, Gabriel graphs of 5 to 500
        nodes, ...; `key` such as "sndlib/nobel-eu" or "gabriel/100/0"). Link lengths are topohub's
        great-circle distance `dist` (km) times `route_factor` (fibre routes are longer than the
        great circle; 1.0 keeps topohub's figure)."""
        try:
            import topohub
        except ImportError as e:  # pragma: no cover - topohub is a dependency
            raise ImportError("`Topology.from_topohub` needs the `topohub` package (pip install topohub).") from e
        if not (np.isfinite(route_factor) and route_factor >= 1.0):
            raise ValueError(f"`route_factor` must be >= 1 (a fibre route is never shorter than the great circle); got {route_factor}.")
        data = topohub.get(key)
        ids = [n["id"] for n in data["nodes"]]
        index = {v: i for i, v in enumerate(ids)}
        names = [str(n.get("name", n["id"])) for n in data["nodes"]]
        coords = tuple((float(n["pos"][0]), float(n["pos"][1])) for n in data["nodes"]) if all("pos" in n for n in data["nodes"]) else None
        pairs = [(index[e["source"]], index[e["target"]], route_factor * float(e["dist"]) * 1e3) for e in data["edges"]]
        return cls._from_pairs(key, names, coords, pairs, directed)

    @classmethod
    def _from_pairs(cls, name, names, coords, pairs, directed) -> "Topology":
        """Links from bidirectional pairs (a, b, length): two directed links each, or one."""
        if directed:
            pairs = [link for a, b, length in pairs for link in ((a, b, length), (b, a, length))]
        return cls(name, tuple(names), coords, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs),
                   tuple(p[2] for p in pairs), directed)
