import CPingmeshLinux

/// Process-wide memory settings for long-running daemons such as the agent.
public enum ProcessMemory {
    /// Caps glibc's malloc arenas. glibc gives each thread that allocates an arena of its own
    /// (64 MiB reserved, a few MiB touched); a daemon with few, small allocations does as well
    /// with `count`, and its resident memory, paid on every server, is lower. No-op elsewhere.
    @discardableResult
    public static func limitMallocArenas(_ count: Int) -> Bool {
        pm_limit_malloc_arenas(Int32(count)) == 1
    }
}
