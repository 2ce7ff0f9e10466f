// Where each server sits (from the labels agents upload, GET /v1/agents) and whether its agent
// still reports: drives drill-down filtering, breadcrumbs and the "agent down" marks.
'use strict';
window.PM = window.PM || {};

PM.Topology = class Topology {
  /** Liveness from seconds since the last upload: stale after 1 min, down after 3 min. */
  static liveness(secondsSinceUpload) {
    if (secondsSinceUpload == null || !isFinite(secondsSinceUpload)) return 'down';
    if (secondsSinceUpload <= 60) return 'up';
    if (secondsSinceUpload <= 180) return 'stale';
    return 'down';
  }

  /** Rank of a level, higher is coarser; tor and pod are the same tier under two names. */
  static rank(level) {
    return { server: 0, tor: 1, pod: 1, podset: 2, dc: 3 }[level] ?? -1;
  }

  /** The next finer level, `rack` ('tor' or 'pod') naming the tier under a podset. */
  static child(level, rack) {
    return { dc: 'podset', podset: rack === 'pod' ? 'pod' : 'tor', tor: 'server', pod: 'server' }[level] || null;
  }

  constructor(agents) {
    this.agents = Array.isArray(agents) ? agents : [];
    // level -> Map(component -> {servers: [], dead: bool, ancestors: {level: name}})
    this.levels = {};
    for (const level of ['server', 'tor', 'pod', 'podset', 'dc']) this.levels[level] = new Map();
    for (const agent of this.agents) {
      if (!agent || typeof agent.name !== 'string') continue;
      const place = Topology.placement(agent.name, agent.labels || {});
      const down = Topology.liveness(agent.seconds_since_upload) === 'down';
      for (const level of Object.keys(this.levels)) {
        const name = place[level];
        let entry = this.levels[level].get(name);
        if (!entry) {
          entry = { servers: 0, down: 0, ancestors: place };
          this.levels[level].set(name, entry);
        }
        entry.servers++;
        if (down) entry.down++;
      }
    }
  }

  /** The component of a server at every level, as the collector's rollup groups it. */
  static placement(name, labels) {
    const tor = labels.tor || labels.pod || 'unplaced';
    return {
      server: name, tor, pod: labels.pod || labels.tor || 'unplaced',
      podset: labels.podset || 'unplaced', dc: labels.dc || 'unplaced',
    };
  }

  /** Components known at a level (from agents' labels). */
  known(level) {
    return this.levels[level] ? [...this.levels[level].keys()] : [];
  }

  /** True when every agent under the component stopped reporting. */
  isDown(level, name) {
    const entry = this.levels[level] && this.levels[level].get(name);
    return !!entry && entry.down === entry.servers;
  }

  /** Agents down under the component, and how many there are. */
  downCount(level, name) {
    const entry = this.levels[level] && this.levels[level].get(name);
    return entry ? { down: entry.down, of: entry.servers } : null;
  }

  /** The name of the component at `upper` holding `name` (at `level`), or null if unknown. */
  ancestor(level, name, upper) {
    if (level === upper) return name;
    const entry = this.levels[level] && this.levels[level].get(name);
    return entry ? entry.ancestors[upper] ?? null : null;
  }

  /** Whether a component at `level` lies under `scope` ({level, name}; null is everything). */
  within(level, name, scope) {
    if (!scope) return true;
    return this.ancestor(level, name, scope.level) === scope.name;
  }

  get size() { return this.agents.length; }

  /**
   * The current topology from GET /v1/agents, fetched at most every `maxAgeMs`; on an error the
   * last one known (or an empty one) with `error` set.
   */
  static async fetch(maxAgeMs = 20000) {
    const cache = Topology.cache;
    if (cache.value && Date.now() - cache.at < maxAgeMs) return cache.value;
    if (!cache.inflight) {
      cache.inflight = PM.api.get('/v1/agents').then((res) => {
        cache.inflight = null;
        if (res.ok && res.data && Array.isArray(res.data.agents)) {
          cache.value = new Topology(res.data.agents);
          cache.at = Date.now();
          cache.error = null;
        } else {
          cache.error = res.error || 'no agents';
          if (!cache.value) cache.value = new Topology([]);
        }
        for (const fn of Topology.listeners) fn(cache.value);
        return cache.value;
      });
    }
    return cache.inflight;
  }

  static onUpdate(fn) { Topology.listeners.push(fn); }
};
PM.Topology.cache = { value: null, at: 0, inflight: null, error: null };
PM.Topology.listeners = [];
