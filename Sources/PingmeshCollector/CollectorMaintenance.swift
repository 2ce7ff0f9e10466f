import Logging
import PingmeshModel

/// One round of the collector's background work: roll up, expire, refresh the level metrics.
public struct CollectorMaintenance: Sendable {
    let store: any ResultStore
    let metrics: CollectorMetrics
    let retention: Retention
    let levelAggregates: LevelAggregates
    let logger: Logger
    /// Analyses each settled window after its rollup; nil in tests of the rollup alone.
    let analyzer: WindowAnalyzer?
    /// Which replica rolls up, expires and analyses; nil: this one, alone on its store.
    let lease: AnalysisLease?

    public init(
        store: any ResultStore, metrics: CollectorMetrics, retention: Retention = Retention(), levelAggregates: LevelAggregates = LevelAggregates(),
        logger: Logger, analyzer: WindowAnalyzer? = nil, lease: AnalysisLease? = nil
    ) {
        self.lease = lease
        self.store = store
        self.metrics = metrics
        self.retention = retention
        self.levelAggregates = levelAggregates
        self.logger = logger
        self.analyzer = analyzer
    }

    public func runOnce(now: Int64) async {
        let leading = await lease?.renew(now: now) ?? true
        metrics.leads(leading)
        do {
            if leading {
                let report = try await RollupEngine(store: store, logger: logger).runOnce(now: now)
                metrics.rolledUp(windows: report.windows)
            }
            // The newest minute the rollup has settled.
            let minute = Resolution.minute.windowStart(now - 60 - RollupEngine.settle(.minute))
            var rows: [TopologyLevel: [PairAggregate]] = [:]
            for level in LevelAggregates.levels {
                rows[level] = try await store.aggregates(level: level, resolution: .minute, from: minute, to: minute + 60)
            }
            metrics.setLevels(levelAggregates.render(rows))
            if leading {
                let deleted = try await store.enforceRetention(retention, now: now)
                if deleted > 0 { logger.debug("retention", metadata: ["deleted": "\(deleted)"]) }
            }
            metrics.storeSize(try await store.sizeBytes())
        } catch {
            metrics.rollupFailed()
            logger.error("rollup failed", metadata: ["error": "\(error)"])
        }
        // Analysis reads the server-pair minute rows, which ingest writes; a failed rollup does
        // not hold it back.
        if let analyzer {
            do {
                let events = try await analyzer.runOnce(now: now, leading: leading)
                metrics.analyzed(open: analyzer.tracker.open, events: events, window: analyzer.tracker.lastWindow)
            } catch {
                metrics.analysisFailed()
                logger.error("analysis failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
